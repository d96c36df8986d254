"""Auth hook benchmark: decisions/s and latency of POST /units/auth under gunicorn (4 workers).

The request mix is what a broker sends: a pool of (unit token, topic, action) triples —
own input/output nodes and base topics (allow), other units' inputs and outputs (deny),
user and garbage tokens (deny) — replayed by client processes over keep-alive
connections. Decisions are cached in Redis, as in production, after the first sight.

    .venv/bin/python -m bench.auth_hook --seconds 10 --clients 2 --connections 8
"""
from __future__ import annotations

import argparse
import json
import os
import random

from bench import load
from bench.common import bench_stack, make_units, percentile
from pepeunit.services.agents import issue_unit_token
from tests.processes import Gunicorn

HOOK_PATH = "/pepeunit/api/v1/units/auth"
ALLOW = b'{"result": "allow"}'


def request_pool(app, units, domain):
    settings = app.config["PU_SETTINGS"]
    pool = []
    for i, u in enumerate(units):
        token = issue_unit_token(u["unit"], settings)
        other = units[(i + 1) % len(units)]
        pool += [
            (token, f"{domain}/{u['input']}/pepeunit", "subscribe"),
            (token, f"{domain}/{u['output']}/pepeunit", "publish"),
            (token, f"{domain}/input_base_topic/{u['unit']}/update/pepeunit", "subscribe"),
            (token, f"{domain}/output_base_topic/{u['unit']}/state/pepeunit", "publish"),
            (token, f"{domain}/{other['input']}/pepeunit", "publish"),
            (token, f"{domain}/{other['output']}/pepeunit", "subscribe"),
        ]
    pool += [("garbage", f"{domain}/{units[0]['input']}/pepeunit", "subscribe")] * 10
    rng = random.Random(7)
    rng.shuffle(pool)
    return [load.post(HOOK_PATH, json.dumps({"token": t, "topic": topic, "action": a, "clientid": "bench"}).encode())
            for t, topic, a in pool]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=2, help="load processes")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections in all")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with bench_stack() as (env, app):
        units = make_units(app, args.units)
        bodies = request_pool(app, units, env["PU_DOMAIN"])
        with Gunicorn(env, workers=args.workers, log_level="WARNING") as server:
            lat, outcomes = load.run(server.port, bodies, args.connections, args.clients, args.warmup, args.seconds)
        allow = sum(n for (status, body), n in outcomes.items() if status == 200 and body == ALLOW)
        errors = sum(n for (status, _), n in outcomes.items() if status != 200)
        pct = lambda q: percentile(lat, q) * 1000  # noqa: E731
        print(f"gunicorn workers={args.workers} threads={server.env.get('PU_WORKER_THREADS') or app.config['PU_SETTINGS'].PU_WORKER_THREADS}; "
              f"{args.connections} keep-alive connections from {args.clients} processes; "
              f"{len(bodies)} distinct requests; cpus={os.cpu_count()}")
        print(f"decisions: {len(lat)} in {args.seconds:.0f}s = {len(lat) / args.seconds:,.0f}/s "
              f"(allow {allow}, deny {len(lat) - allow - errors}, errors {errors})")
        print(f"latency ms: p50 {pct(0.50):.2f}  p95 {pct(0.95):.2f}  p99 {pct(0.99):.2f}  max {lat[-1] * 1000:.2f}")


if __name__ == "__main__":
    main()
