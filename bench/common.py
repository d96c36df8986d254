"""What every benchmark needs: its own database and Redis DB, like the tests, dropped afterwards.

Benchmarks run from the repository root as modules (``python -m bench.<name>``), so
``bench`` and ``tests`` import as packages.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import multiprocessing as mp
import os
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import psycopg2
import redis
from flask_migrate import upgrade
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from pepeunit import create_app
from pepeunit.broker.identity import backend_client_id
from pepeunit.config import Settings
from pepeunit.extensions import db
from pepeunit.models import UnitNodeTypeEnum
from pepeunit.mqtt.consumer import Consumer
from tests import world
from tests.helpers import wait_until

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


def raw_subscriber(subscriptions, expected, ready, result, timed_payloads=False, port=1883):
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
    client.connect("127.0.0.1", port, properties=props)
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


def publisher(messages, start, done, timed_payloads=False):
    """Publish ``(topic, payload)`` pairs at QoS 1 over one connection once ``start`` is set; puts the
    number the broker acknowledged on ``done``. With ``timed_payloads`` each payload is its publish time."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    start.wait()
    infos = [client.publish(topic, f"{time.time():.6f}" if timed_payloads else payload, qos=1)
             for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    done.put(sum(1 for i in infos if i.is_published()))
    client.disconnect()
    client.loop_stop()


def ingest_parser(doc: str) -> argparse.ArgumentParser:
    """The options both ingestion benchmarks take (``--publishers``, ``--backlog``); each adds its own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    parser.add_argument("--backlog", action="store_true",
                        help="hold processing until everything is published, then time the drain alone")
    return parser


class HeldConsumer(Consumer):
    """Our consumer; with ``backlog`` it takes nothing from its inbox until ``run_ingest`` releases it."""

    def __init__(self, app, backlog: bool):
        super().__init__(app)
        self.held = threading.Event()
        if backlog:
            self.held.set()

    def _take(self, stop):
        while self.held.is_set() and not stop.is_set():
            time.sleep(0.01)
        return super()._take(stop)


@dataclasses.dataclass
class IngestRun:
    published: int
    publish_seconds: float
    drain_seconds: float
    relay: tuple  # raw_subscriber's (received, seconds from first to last, p50 lag, p99 lag)


def run_ingest(app, consumer: HeldConsumer, slices, subscriptions, total, progress, timed_payloads=False) -> IngestRun:
    """Run ``consumer`` in a thread, a raw relay subscriber to ``subscriptions`` and one publisher process
    per slice of messages; time the publishing, then the drain until ``progress()`` reaches ``total`` (or
    stalls 15 s). With the consumer held (backlog), the drain is timed from its release, once the whole
    backlog is in its inbox. Stops everything and forgets the bench's persistent session on the broker."""
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    assert consumer.subscribed.wait(15), "consumer did not subscribe"

    ctx = mp.get_context("fork")
    ready, result = ctx.Event(), ctx.Queue()
    relay = ctx.Process(target=raw_subscriber, args=(subscriptions, total, ready, result, timed_payloads))
    relay.start()
    assert ready.wait(15), "raw subscriber did not subscribe"

    start, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=publisher, args=(s, start, done, timed_payloads)) for s in slices]
    for p in procs:
        p.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    start.set()
    published = sum(done.get(timeout=600) for _ in procs)
    t_published = time.monotonic() - t0
    if consumer.held.is_set():
        assert wait_until(lambda: consumer.inbox.qsize() >= published, 120), "backlog did not arrive"
        t0 = time.monotonic()
        consumer.held.clear()

    last_progress, seen = time.monotonic(), -1
    while progress() < total and time.monotonic() - last_progress < 15:
        time.sleep(0.05)
        if progress() != seen:
            seen, last_progress = progress(), time.monotonic()
    elapsed = last_progress - t0
    relayed = result.get(timeout=60)
    relay.join(10)
    for p in procs:
        p.join(10)
    stop.set()
    thread.join(15)
    cleanup = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=backend_client_id(app.config["PU_SETTINGS"]),
                          protocol=mqtt.MQTTv5)
    cleanup.connect("127.0.0.1", 1883, clean_start=True)
    cleanup.disconnect()
    return IngestRun(published, t_published, elapsed, relayed)
