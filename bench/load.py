"""A small HTTP/1.1 keep-alive load generator: asyncio over raw sockets, in several processes.

Cheap per request (no HTTP library), so on a 2-core machine most CPU is left to the
server under test. Requests are pre-built bytes, sent round-robin on every connection.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter


def post(path: str, body: bytes, host: str = "127.0.0.1") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def get(path: str, host: str = "127.0.0.1") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()


async def _read_response(reader) -> tuple[int, bytes]:
    status = int((await reader.readline()).split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


async def _connection(port, requests, offset, start_measuring, deadline, latencies, outcomes):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    while time.monotonic() < deadline:
        started = time.perf_counter()
        writer.write(requests[i % len(requests)])
        status, body = await _read_response(reader)
        if time.monotonic() >= start_measuring:
            latencies.append(time.perf_counter() - started)
            outcomes[(status, body[:64])] += 1
        i += 1
    writer.close()


def _process(port, requests, connections, warmup, seconds, first_offset, queue):
    async def main():
        latencies, outcomes = [], Counter()
        now = time.monotonic()
        await asyncio.gather(*(_connection(port, requests, first_offset + n * 7919, now + warmup,
                                           now + warmup + seconds, latencies, outcomes)
                               for n in range(connections)))
        return latencies, outcomes
    queue.put(asyncio.run(main()))


def run(port: int, requests: list[bytes], connections: int, processes: int, warmup: float,
        seconds: float) -> tuple[list[float], Counter]:
    """(sorted latencies in s, Counter of (status, first 64 body bytes)) of the measured window."""
    queue = multiprocessing.Queue()
    per_process = max(1, connections // processes)
    procs = [multiprocessing.Process(target=_process, args=(port, requests, per_process, warmup, seconds,
                                                            p * 104729, queue))
             for p in range(processes)]
    for p in procs:
        p.start()
    latencies, outcomes = [], Counter()
    for _ in procs:
        got_latencies, got_outcomes = queue.get(timeout=warmup + seconds + 60)
        latencies += got_latencies
        outcomes += got_outcomes
    for p in procs:
        p.join()
    return sorted(latencies), outcomes
