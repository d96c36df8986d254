"""What every benchmark needs: its own database and Redis DB, like the tests, dropped afterwards.

Benchmarks run from the repository root as modules (``python -m bench.<name>``), so
``bench`` and ``tests`` import as packages.
"""
from __future__ import annotations

import base64
import contextlib
import os
import time
import uuid

import paho.mqtt.client as mqtt
import psycopg2
import redis
from flask_migrate import upgrade
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from pepeunit import create_app
from pepeunit.config import Settings
from pepeunit.extensions import db
from pepeunit.models import UnitNodeTypeEnum
from tests import world

ADMIN_DB_URL = os.environ.get("PU_BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("PU_BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def environ(database_url: str, redis_url: str, run_id: str, **extra) -> dict:
    env = {
        "PU_DOMAIN": f"bench{run_id}.local",
        "PU_SECURE": "false",
        "PU_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
        "PU_ENCRYPT_KEY": base64.b64encode(b"b" * 32).decode(),
        "PU_SQLALCHEMY_DATABASE_URL": database_url,
        "PU_REDIS_URL": redis_url,
        "PU_MQTT_HOST": "127.0.0.1",
        "PU_MQTT_PORT": "1883",
        "PU_LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextlib.contextmanager
def bench_stack(**extra):
    """(environ, app) on a fresh, migrated database and a free Redis DB number."""
    run_id = uuid.uuid4().hex[:8]
    name = f"pepeunit_bench_{run_id}"
    admin = psycopg2.connect(ADMIN_DB_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    number = None
    for candidate in range(15, 0, -1):
        if redis.Redis.from_url(f"{REDIS_BASE_URL}/{candidate}").set("pepeunit:test-run-owner", f"bench{run_id}",
                                                                       nx=True, ex=3600):
            number = candidate
            break
    if number is None:
        raise RuntimeError("no free Redis database number")
    redis_url = f"{REDIS_BASE_URL}/{number}"
    env = environ(ADMIN_DB_URL.rsplit("/", 1)[0] + "/" + name, redis_url, run_id, **extra)
    os.environ.update(env)
    try:
        app = create_app(Settings.from_env(env))
        with app.app_context():
            upgrade()
        yield env, app
    finally:
        try:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        except Exception:
            pass
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        redis.Redis.from_url(redis_url).flushdb()


def make_units(app, count: int, with_output: bool = True):
    """``count`` bare units (one user, one repo) with an Output and an Input node; returns dicts."""
    out = []
    with app.app_context():
        owner = world.user(bare=True)
        repo = world.repo(owner, bare=True)
        for _ in range(count):
            unit = world.unit(owner, repo, bare=True)
            nodes = {}
            if with_output:
                for kind, topic in ((UnitNodeTypeEnum.OUTPUT, "out/pepeunit"), (UnitNodeTypeEnum.INPUT, "in/pepeunit")):
                    nodes[kind.value] = str(world.node(unit, kind, topic).uuid)
            out.append({"unit": str(unit.uuid), "output": nodes.get("Output"), "input": nodes.get("Input")})
        db.session.commit()
    return out


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def raw_subscriber(subscriptions, expected, ready, result, timed_payloads=False):
    """A plain QoS-1 subscriber to local Mosquitto (no processing), run in its own process: puts
    ``(received, seconds from first to last, p50 lag, p99 lag)`` on ``result``. With
    ``timed_payloads`` each payload is its publish time and the lags are publish -> receipt."""
    seen = {"count": 0, "lags": [], "first": None, "last": None}

    def on_message(client, userdata, message):
        now = time.time()
        seen["count"] += 1
        if timed_payloads:
            seen["lags"].append(now - float(message.payload))
        seen["first"] = seen["first"] or now
        seen["last"] = now

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_subscribe = lambda *a: ready.set()
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = 65535  # same in-flight window as the consumer
    client.connect("127.0.0.1", 1883, properties=props)
    client.subscribe([(topic, 1) for topic in subscriptions])
    client.loop_start()
    idle_since, count = time.monotonic(), 0
    while seen["count"] < expected and time.monotonic() - idle_since < 20:
        time.sleep(0.1)
        if seen["count"] != count:
            count, idle_since = seen["count"], time.monotonic()
    client.disconnect()
    client.loop_stop()
    lags = sorted(seen["lags"])
    p50, p99 = (percentile(lags, 0.5), percentile(lags, 0.99)) if lags else (None, None)
    result.put((seen["count"], (seen["last"] or 0) - (seen["first"] or 0), p50, p99))
