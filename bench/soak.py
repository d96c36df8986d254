"""Soak: the backend under steady mixed load for a while; are memory, files and connections flat?

    python -m bench.soak [--duration 600] [--interval 10] [--units 10] [--workers 2] [--warmup 30]

A real gunicorn (``--workers``) on its own database and Redis DB (``bench.common.bench_stack``) and
the local Mosquitto; ``--units`` units publish a log line each every 0.25 s at QoS 1 and one thread
calls REST and GraphQL without pause (``tests.faults.load``). Every ``--interval`` s it samples each
worker's RSS (VmRSS) and open file descriptors, the PostgreSQL connections to its database
(pg_stat_activity) and the Redis clients on its DB number (CLIENT LIST). It prints the table, then
per measure the first third's average against the last third's and a verdict line: flat when no
measure grew beyond its tolerance (RSS: ``--rss-tolerance`` % and at least 8 MB; the counts: +2).
"""
from __future__ import annotations

import argparse
import os
import time

import psycopg2
import redis
import requests

from bench.common import bench_stack
from pepeunit.extensions import db
from tests import world
from tests.faults.load import RestLoad, Units
from tests.helpers import PASSWORD
from tests.processes import Gunicorn


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def make_units(app, count: int) -> list[tuple[str, str]]:
    settings = app.config["PU_SETTINGS"]
    with app.app_context():
        owner = world.user(bare=True)
        repo = world.repo(owner, bare=True)
        rows = [world.unit(owner, repo, bare=True) for _ in range(count)]
        db.session.commit()
        return [(str(row.uuid), world.unit_token(row, settings)) for row in rows]


class Sampler:
    def __init__(self, env: dict, server: Gunicorn):
        self.server = server
        self.database = env["PU_SQLALCHEMY_DATABASE_URL"].rsplit("/", 1)[1]
        self.admin = psycopg2.connect(env["PU_SQLALCHEMY_DATABASE_URL"])
        self.admin.autocommit = True
        self.redis = redis.Redis.from_url(env["PU_REDIS_URL"])
        self.redis_db = int(env["PU_REDIS_URL"].rsplit("/", 1)[1])
        self.rows: list[dict] = []

    def sample(self, started: float, answers: int, acknowledged: int) -> dict:
        pids = sorted(self.server.worker_pids())
        with self.admin.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                        (self.database,))
            pg = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM unit_logs")
            stored = cur.fetchone()[0]
        clients = [c for c in self.redis.client_list() if int(c.get("db", -1)) == self.redis_db]
        row = {"t": round(time.monotonic() - started), "workers": pids,
               "rss": [round(rss_mb(p), 1) for p in pids], "fds": [open_fds(p) for p in pids],
               "pg": pg, "redis": len(clients) - 1,  # less the sampler's own connection
               "answers": answers, "acked": acknowledged, "stored": stored}
        self.rows.append(row)
        print(f"{row['t']:>6} {' '.join(f'{r:7.1f}' for r in row['rss']):>16} "
              f"{' '.join(f'{f:4d}' for f in row['fds']):>10} {row['pg']:>5} {row['redis']:>6} "
              f"{row['answers']:>8} {row['acked']:>8} {row['stored']:>8}", flush=True)
        return row


def verdict(rows: list[dict], rss_tolerance: float) -> tuple[bool, list[str]]:
    third = max(1, len(rows) // 3)
    first, last = rows[:third], rows[-third:]

    def avg(part, measure):
        return sum(measure(r) for r in part) / len(part)

    measures = [
        ("RSS of all workers, MB", lambda r: sum(r["rss"]), lambda a: max(a * rss_tolerance / 100, 8.0)),
        ("open fds of all workers", lambda r: sum(r["fds"]), lambda a: 2),
        ("PostgreSQL connections", lambda r: r["pg"], lambda a: 2),
        ("Redis clients", lambda r: r["redis"], lambda a: 2),
    ]
    flat, lines = True, []
    for name, measure, tolerance in measures:
        a, b = avg(first, measure), avg(last, measure)
        ok = b <= a + tolerance(a)
        flat &= ok
        lines.append(f"{name:<26} first third {a:9.1f}   last third {b:9.1f}   allowed +{tolerance(a):.1f}   "
                     f"{'flat' if ok else 'GROWS'}")
    return flat, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--interval", type=float, default=10, help="seconds between samples")
    parser.add_argument("--units", type=int, default=10, help="units publishing over MQTT")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=float, default=30, help="seconds of load before the first sample")
    parser.add_argument("--rss-tolerance", type=float, default=10.0, help="%% RSS growth still called flat")
    args = parser.parse_args()

    with bench_stack(PU_LOG_LEVEL="WARNING") as (env, app):
        units = make_units(app, args.units)
        with Gunicorn(env, workers=args.workers, log_level="WARNING") as server:
            requests.post(server.url + "/pepeunit/api/v1/users", json={"login": "soak", "password": PASSWORD},
                          timeout=30).raise_for_status()
            token = requests.post(server.url + "/pepeunit/api/v1/users/auth",
                                  json={"credentials": "soak", "password": PASSWORD}, timeout=30).json()["token"]
            publishers = Units(int(env["PU_MQTT_PORT"]), env["PU_DOMAIN"], units, "soak").start()
            rest = RestLoad(server.url, "soak", PASSWORD, token, pause=0.02)
            rest.start()
            sampler = Sampler(env, server)
            print(f"soak: {args.duration:.0f} s after {args.warmup:.0f} s of warm-up, {args.units} units at 4 msg/s "
                  f"each, REST+GraphQL loop, {args.workers} workers; sample every {args.interval:.0f} s")
            time.sleep(args.warmup)
            print(f"{'t, s':>6} {'RSS MB/worker':>16} {'fds':>10} {'pg':>5} {'redis':>6} "
                  f"{'answers':>8} {'acked':>8} {'stored':>8}")
            started = time.monotonic()
            try:
                while time.monotonic() - started < args.duration:
                    sampler.sample(started, len(rest.answers), len(publishers.acknowledged()))
                    time.sleep(max(0.0, args.interval - (time.monotonic() - started) % args.interval))
                sampler.sample(started, len(rest.answers), len(publishers.acknowledged()))
            finally:
                rest.stop()
                publishers.stop()
            statuses: dict[int, int] = {}
            for answer in rest.answers:
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
            time.sleep(3)
            final = sampler.sample(started, len(rest.answers), len(publishers.acknowledged()))
            slowest = max((a.seconds for a in rest.answers), default=0.0)
            print(f"answers by status: {dict(sorted(statuses.items()))}; slowest {slowest:.2f} s; "
                  f"acknowledged {len(publishers.acknowledged())}, stored {final['stored']}")
            restarted = len({tuple(r["workers"]) for r in sampler.rows}) > 1
            flat, lines = verdict(sampler.rows[:-1], args.rss_tolerance)
            print("\n".join(lines))
            print(f"VERDICT: {'flat' if flat and not restarted else 'NOT flat'}"
                  f"{' (a worker was replaced during the run)' if restarted else ''}")


if __name__ == "__main__":
    main()
