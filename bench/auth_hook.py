"""Auth hook benchmark: decisions/s and latency of POST /units/auth under gunicorn (4 workers).

The request mix is what a broker sends: a pool of (unit token, topic, action) triples —
own input/output nodes and base topics (allow), other units' inputs and outputs (deny),
user and garbage tokens (deny) — replayed by client processes over keep-alive
connections. Decisions are cached in Redis, as in production, after the first sight.

    python bench/auth_hook.py --seconds 10 --clients 2 --threads 8
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import sys
import threading
import time

from common import ROOT, bench_stack, make_units

sys.path.insert(0, ROOT)
from tests.runtime.gunicorn_proc import Gunicorn  # noqa: E402


def request_pool(app, units, domain):
    from pepeunit.services.agents import issue_unit_token

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
    return [json.dumps({"token": t, "topic": topic, "action": a, "clientid": "bench"}).encode()
            for t, topic, a in pool]


def client_process(port, bodies, threads, warmup, seconds, out):
    results = []
    lock = threading.Lock()

    def worker(seed):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        lat, allow, errors = [], 0, 0
        start = time.monotonic()
        measure_from, end = start + warmup, start + warmup + seconds
        while True:
            now = time.monotonic()
            if now >= end:
                break
            body = rng.choice(bodies)
            t = time.perf_counter()
            try:
                conn.request("POST", "/pepeunit/api/v1/units/auth", body, {"content-type": "application/json"})
                answer = conn.getresponse().read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            if now >= measure_from:
                lat.append(time.perf_counter() - t)
                allow += answer == b'{"result": "allow"}'
        with lock:
            results.append((lat, allow, errors))

    pool = [threading.Thread(target=worker, args=(i + os.getpid(),)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    lat = [x for r in results for x in r[0]]
    out.put((lat, sum(r[1] for r in results), sum(r[2] for r in results)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="connections per client process")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with bench_stack() as (env, app):
        units = make_units(app, args.units)
        bodies = request_pool(app, units, env["PU_DOMAIN"])
        with Gunicorn(env, workers=args.workers, log_level="WARNING") as server:
            ctx = mp.get_context("fork")
            out = ctx.Queue()
            procs = [ctx.Process(target=client_process,
                                 args=(server.port, bodies, args.threads, args.warmup, args.seconds, out))
                     for _ in range(args.clients)]
            for p in procs:
                p.start()
            parts = [out.get(timeout=args.seconds + args.warmup + 60) for _ in procs]
            for p in procs:
                p.join(10)
        lat = sorted(x for part in parts for x in part[0])
        allow = sum(p[1] for p in parts)
        errors = sum(p[2] for p in parts)
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        print(f"gunicorn workers={args.workers} threads={env.get('PU_WORKER_THREADS', 4)}; "
              f"{args.clients}x{args.threads} keep-alive connections; {len(bodies)} distinct requests; "
              f"cpus={os.cpu_count()}")
        print(f"decisions: {len(lat)} in {args.seconds:.0f}s = {len(lat) / args.seconds:,.0f}/s "
              f"(allow {allow}, deny {len(lat) - allow}, errors {errors})")
        print(f"latency ms: p50 {pct(0.50):.2f}  p95 {pct(0.95):.2f}  p99 {pct(0.99):.2f}  max {lat[-1] * 1000:.2f}")


if __name__ == "__main__":
    main()
