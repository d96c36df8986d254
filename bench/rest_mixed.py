"""Upstream's mixed REST/GraphQL load against gunicorn with 4 workers.

The mix (round-robin): ``GET /pepeunit``, ``GET /pepeunit/api/v1/metrics/`` and
``POST /pepeunit/graphql`` with ``getBaseMetrics``. The load generator runs in
separate processes with keep-alive connections; it prints requests/s and
p50/p95/p99 next to upstream's published figures for the same mix.

    .venv/bin/python -m bench.rest_mixed [--seconds 15] [--connections 32] [--workers 4]
"""
from __future__ import annotations

import argparse
import json
import os

from bench import load
from bench.common import bench_stack, percentile
from tests.processes import Gunicorn

UPSTREAM = {"rps": 400.0, "p99_ms": 75.0}  # feature-delta.md §4: 4 workers, same mix
TARGET = {"rps": 1500.0, "p99_ms": 50.0}
GRAPHQL_BODY = json.dumps({"query": "{ getBaseMetrics { userCount repositoryRegistryCount repoCount "
                                    "unitCount unitNodeCount unitNodeEdgeCount } }"}).encode()


def _requests() -> list[bytes]:
    return [load.get("/pepeunit"), load.get("/pepeunit/api/v1/metrics/"),
            load.post("/pepeunit/graphql", GRAPHQL_BODY)]


def run(seconds: float, connections: int, workers: int, processes: int) -> dict:
    with bench_stack() as (env, _app), Gunicorn(env, workers=workers, log_level="WARNING") as server:
        latencies, outcomes = load.run(server.port, _requests(), connections, processes, 2.0, seconds)
    errors = sum(n for (status, _), n in outcomes.items() if status != 200)
    return {
        "requests": len(latencies) - errors,
        "errors": errors,
        "rps": (len(latencies) - errors) / seconds,
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
