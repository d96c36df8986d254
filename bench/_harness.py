"""Shared benchmark plumbing: a throw-away database and a gunicorn instance on a free port."""
from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import psycopg2
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN_DB_URL = os.environ.get("PU_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def scratch_database():
    name = f"pepeunit_bench_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(ADMIN_DB_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_DB_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def bench_environ(database_url: str, port: int, **extra) -> dict:
    env = dict(os.environ)
    env.update(
        PU_DOMAIN=f"127.0.0.1:{port}",
        PU_SECURE="false",
        PU_SECRET_KEY="bench-secret-key-bench-secret-key-0000",
        PU_ENCRYPT_KEY=base64.b64encode(b"b" * 32).decode(),
        PU_SQLALCHEMY_DATABASE_URL=database_url,
        PU_REDIS_URL=os.environ.get("PU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        PU_MQTT_HOST="127.0.0.1",
        PU_BIND=f"127.0.0.1:{port}",
        PU_LOG_LEVEL="WARNING",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextlib.contextmanager
def gunicorn(env: dict, workers: int):
    bin_dir = os.path.dirname(sys.executable)
    subprocess.run([os.path.join(bin_dir, "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    env = dict(env, PU_WORKER_COUNT=str(workers))
    proc = subprocess.Popen([os.path.join(bin_dir, "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    base = f"http://{env['PU_BIND']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/pepeunit", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]
