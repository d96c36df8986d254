"""Upstream's mixed REST/GraphQL load against gunicorn with 4 workers.

The mix (round-robin): ``GET /pepeunit``, ``GET /pepeunit/api/v1/metrics/`` and
``POST /pepeunit/graphql`` with ``getBaseMetrics``. The load generator runs in
separate processes with keep-alive connections; it prints requests/s and
p50/p95/p99 next to upstream's published figures for the same mix.

    .venv/bin/python bench/rest_mixed.py [--seconds 15] [--connections 32] [--workers 4]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import bench_environ, free_port, gunicorn, percentile, scratch_database  # noqa: E402

UPSTREAM = {"rps": 400.0, "p99_ms": 75.0}  # feature-delta.md §4: 4 workers, same mix
TARGET = {"rps": 1500.0, "p99_ms": 50.0}
GRAPHQL_BODY = json.dumps({"query": "{ getBaseMetrics { userCount repositoryRegistryCount repoCount "
                                    "unitCount unitNodeCount unitNodeEdgeCount } }"}).encode()


def _requests(host: str, port: int) -> list[bytes]:
    head = f"Host: {host}:{port}\r\nConnection: keep-alive\r\n"
    return [
        f"GET /pepeunit HTTP/1.1\r\n{head}\r\n".encode(),
        f"GET /pepeunit/api/v1/metrics/ HTTP/1.1\r\n{head}\r\n".encode(),
        (f"POST /pepeunit/graphql HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
         f"Content-Length: {len(GRAPHQL_BODY)}\r\n\r\n").encode() + GRAPHQL_BODY,
    ]


async def _read_response(reader) -> int:
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


async def _connection(host, port, deadline, start_measuring, offset, latencies, errors):
    reader, writer = await asyncio.open_connection(host, port)
    payloads = _requests(host, port)
    i = offset
    while time.monotonic() < deadline:
        started = time.perf_counter()
        writer.write(payloads[i % 3])
        status = await _read_response(reader)
        elapsed = time.perf_counter() - started
        if time.monotonic() >= start_measuring:
            if status == 200:
                latencies.append(elapsed)
            else:
                errors.append(status)
        i += 1
    writer.close()


def _load_process(host, port, connections, warmup, seconds, queue):
    async def main():
        latencies, errors = [], []
        now = time.monotonic()
        await asyncio.gather(*(
            _connection(host, port, now + warmup + seconds, now + warmup, n, latencies, errors)
            for n in range(connections)))
        return latencies, errors
    queue.put(asyncio.run(main()))


def run(seconds: float, connections: int, workers: int, processes: int) -> dict:
    port = free_port()
    with scratch_database() as database_url, gunicorn(bench_environ(database_url, port), workers):
        queue = multiprocessing.Queue()
        per_process = max(1, connections // processes)
        procs = [multiprocessing.Process(target=_load_process,
                                         args=("127.0.0.1", port, per_process, 2.0, seconds, queue))
                 for _ in range(processes)]
        for p in procs:
            p.start()
        latencies, errors = [], []
        for _ in procs:
            got_latencies, got_errors = queue.get()
            latencies += got_latencies
            errors += got_errors
        for p in procs:
            p.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--load-processes", type=int, default=2)
    args = parser.parse_args()
    result = run(args.seconds, args.connections, args.workers, args.load_processes)
    print(f"rest_mixed: {args.workers} gunicorn workers, {args.connections} keep-alive connections, "
          f"{args.seconds:.0f} s measured (after 2 s warm-up), cores={os.cpu_count()}")
    print(f"  requests ok={result['requests']} errors={result['errors']}")
    print(f"  {'':10}{'ours':>10}{'upstream':>10}{'target':>10}{'ours/upstream':>15}")
    print(f"  {'req/s':10}{result['rps']:>10.0f}{UPSTREAM['rps']:>10.0f}{TARGET['rps']:>10.0f}"
          f"{result['rps'] / UPSTREAM['rps']:>14.1f}x")
    print(f"  {'p50 ms':10}{result['p50_ms']:>10.1f}{'-':>10}{'-':>10}")
    print(f"  {'p95 ms':10}{result['p95_ms']:>10.1f}{'-':>10}{'-':>10}")
    print(f"  {'p99 ms':10}{result['p99_ms']:>10.1f}{UPSTREAM['p99_ms']:>10.0f}{TARGET['p99_ms']:>10.0f}"
          f"{UPSTREAM['p99_ms'] / result['p99_ms']:>14.1f}x lower")


if __name__ == "__main__":
    main()
