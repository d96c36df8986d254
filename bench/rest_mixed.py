"""Upstream's mixed REST/GraphQL load, driven by wrk, against gunicorn with 4 workers.

The mix is that of upstream's locust test, one third each: ``GET /pepeunit``,
``GET /pepeunit/api/v1/metrics/`` and ``POST /pepeunit/graphql`` with its
``getBaseMetrics`` query, no authentication. Unlike locust's 400 users waiting
1 s each, wrk keeps ``--connections`` keep-alive connections busy (saturation).

Everything printed is measured in this run: requests/s, latency percentiles,
HTTP and socket errors (from wrk), and the CPU that gunicorn and wrk used.
Upstream's published figure is shown only as a labelled claim, never in a ratio.
Needs ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``).

    .venv/bin/python -m bench.rest_mixed [--seconds 15] [--connections 32] [--workers 4]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

import requests

from bench.common import bench_stack
from tests.processes import Gunicorn

# upstream tests/load/locustfile.py (all versions): this selection, in this order
GRAPHQL_QUERY = "{ getBaseMetrics { userCount repoCount unitCount unitNodeCount unitNodeEdgeCount } }"
GRAPHQL_BODY = json.dumps({"query": GRAPHQL_QUERY})
PUBLISHED_SOURCE = "upstream docs development-pepeunit/tests/load-test.md, 2025-03-14"
PUBLISHED_CLAIM = ("4 gunicorn workers ~400 rps, aggregated p99 75 ms; locust, 400 users waiting 1 s each; "
                   "hardware not stated")

# wrk calls request() for every request and done() once at the end; done() prints one line
# we parse, with p95 (which --latency does not print) and every error counter.
WRK_SCRIPT = """
local mix = {}
local n = 0

function init(args)
  mix = {
    wrk.format("GET", "/pepeunit"),
    wrk.format("GET", "/pepeunit/api/v1/metrics/"),
    wrk.format("POST", "/pepeunit/graphql", {["Content-Type"] = "application/json"}, [==[%s]==]),
  }
end

function request()
  n = n + 1
  return mix[n %% #mix + 1]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    "bench-result requests=%%d duration_us=%%d http_errors=%%d connect=%%d read=%%d write=%%d timeout=%%d "
    .. "p50_us=%%.0f p95_us=%%.0f p99_us=%%.0f max_us=%%.0f\\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
""" % GRAPHQL_BODY


def _check_answers(url: str) -> None:
    """Each request of the mix succeeds once before the load, so wrk measures working requests."""
    for path in ("/pepeunit", "/pepeunit/api/v1/metrics/"):
        response = requests.get(url + path, timeout=10)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
    response = requests.post(url + "/pepeunit/graphql", data=GRAPHQL_BODY, timeout=10,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and "errors" not in response.json(), response.text[:200]


def _cpu_seconds(pids: set[int]) -> float:
    """User + system CPU of the given processes (all their threads) so far."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, script: str, seconds: int, connections: int, threads: int) -> dict:
    command = ["wrk", "--threads", str(threads), "--connections", str(connections), "--duration", f"{seconds}s",
               "--timeout", "10s", "--script", script, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^bench-result (.*)$", out, re.MULTILINE)
    if not found:
        raise RuntimeError(f"wrk printed no result line:\n{out}")
    return {key: int(value) for key, value in (pair.split("=") for pair in found.group(1).split())}


def run(seconds: int, connections: int, workers: int, threads: int, warmup: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        with bench_stack() as (env, _app), Gunicorn(env, workers=workers, log_level="WARNING") as server:
            _check_answers(server.url)
            if warmup:
                _wrk(server.url, script.name, warmup, connections, threads)
            server_pids = server.worker_pids() | {server.proc.pid}
            server_cpu = _cpu_seconds(server_pids)
            children_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            result = _wrk(server.url, script.name, seconds, connections, threads)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped in between
            result["server_cpu_s"] = _cpu_seconds(server_pids) - server_cpu
            result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (children_cpu.ru_utime + children_cpu.ru_stime)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of load before the measured run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("rest_mixed needs wrk: apt-get install wrk (Debian/Ubuntu), or build it from "
                 "https://github.com/wg/wrk and put it on PATH")
    r = run(args.seconds, args.connections, args.workers, args.threads, args.warmup)
    duration = r["duration_us"] / 1e6
    errors = r["http_errors"]
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    print(f"rest_mixed: {args.workers} gunicorn workers; wrk {args.threads} thread(s), {args.connections} keep-alive "
          f"connections, {duration:.1f} s measured after {args.warmup} s warm-up; cores={os.cpu_count()}")
    print(f"  requests: {r['requests']} = {r['requests'] / duration:,.0f} req/s "
          f"(HTTP 4xx/5xx {errors}; socket errors connect {r['connect']}, read {r['read']}, "
          f"write {r['write']}, timeout {r['timeout']})")
    print(f"  latency ms: p50 {r['p50_us'] / 1000:.1f}  p95 {r['p95_us'] / 1000:.1f}  "
          f"p99 {r['p99_us'] / 1000:.1f}  max {r['max_us'] / 1000:.1f}")
    print(f"  CPU used (core-seconds of {os.cpu_count() * duration:.0f} available): gunicorn {r['server_cpu_s']:.1f}, "
          f"wrk {r['wrk_cpu_s']:.1f}")
    if errors or socket_errors:
        print("  WARNING: some requests failed; req/s above counts them")
    print(f"  published claim, not measured here (source: {PUBLISHED_SOURCE}): {PUBLISHED_CLAIM}")


if __name__ == "__main__":
    main()
