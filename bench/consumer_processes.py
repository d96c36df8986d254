"""Consumers in their own processes, loaded by C publishers: ``bench.mqtt_ingest --mode ...``.

- ``--mode leader``: one ``Consumer`` (the leader's, stable client id), in its own process;
- ``--mode shared --consumers N``: N processes, each a shared-mode ``Consumer`` (its own client id,
  ``$share/<group>/...``), as N gunicorn workers would run them.

The load comes from ``mosquitto_pub -l`` (C, one process per topic, lines from a file), so the
load generator does not eat the cores the consumers need. Each consumer counts what it committed
in Redis (``shared_group.Membership``, the same counter the shared-mode tests read); progress is
their sum. A plain C QoS-1 subscriber (``mosquitto_sub``, printing only receipt times) measures the
broker's relay rate in the same run (first to last message). The broker is a private Mosquitto 2 (``tests.processes.Mosquitto``: in memory, no
per-session queue limit), so what is counted as lost is lost by us, not dropped by a queue limit
of the shared broker at 1883 (1000 messages per session by default).
"""
from __future__ import annotations

import dataclasses
import multiprocessing as mp
import shutil
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt
import redis

from pepeunit import create_app
from pepeunit.broker.identity import backend_client_id
from pepeunit.config import Settings
from pepeunit.mqtt.consumer import Consumer
from pepeunit.mqtt.shared_consumer import SharedConsumer
from pepeunit.mqtt.shared_group import Membership, committed_key
from tests.processes import Mosquitto

MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"


def consumer_process(env: dict, shared: bool, client_id: str, ready, stop) -> None:
    app = create_app(Settings.from_env(env))
    membership = Membership(app, client_id).start()
    kind = SharedConsumer if shared else Consumer
    consumer = kind(app, client_id=client_id, membership=membership)
    halt = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(halt,), daemon=True)
    thread.start()
    if consumer.subscribed.wait(15):
        ready.put(client_id)
    stop.wait()
    halt.set()
    thread.join(20)
    membership.stop()


@dataclasses.dataclass
class ProcessRun:
    published: int
    publish_seconds: float
    drain_seconds: float
    committed: dict  # client id -> messages committed
    relay: tuple


def run(env: dict, by_topic: dict[str, list[str]], subscriptions: list[str], mode: str, consumers: int) -> ProcessRun:
    with Mosquitto() as broker:
        return _run({**env, "PU_MQTT_PORT": str(broker.port)}, by_topic, subscriptions, mode, consumers)


def _run(env: dict, by_topic: dict[str, list[str]], subscriptions: list[str], mode: str, consumers: int) -> ProcessRun:
    settings = Settings.from_env(env)
    counter = redis.Redis.from_url(env["PU_REDIS_URL"])
    counter.delete(committed_key(settings))
    total = sum(len(lines) for lines in by_topic.values())
    ctx = mp.get_context("fork")
    stop, ready = ctx.Event(), ctx.Queue()
    shared = mode == "shared"
    ids = [f"bench-consumer-{i}" for i in range(consumers)] if shared else [backend_client_id(settings)]
    procs = [ctx.Process(target=consumer_process, args=(env, shared, cid, ready, stop)) for cid in ids]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)

    relay_out = tempfile.TemporaryFile("w+")
    relay = subprocess.Popen([MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", env["PU_MQTT_PORT"], "-q", "1",
                              *[arg for topic in subscriptions for arg in ("-t", topic)],
                              "-C", str(total), "-F", "%U", "-W", "300"], stdout=relay_out)

    files = []
    for lines in by_topic.values():
        handle = tempfile.TemporaryFile("w+")
        handle.write("\n".join(lines) + "\n")
        handle.seek(0)
        files.append(handle)
    time.sleep(1.0)
    t0 = time.monotonic()
    pubs = [subprocess.Popen([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", env["PU_MQTT_PORT"], "-q", "1",
                              "-t", topic, "-l"], stdin=handle)
            for topic, handle in zip(by_topic, files, strict=True)]
    failed = sum(1 for p in pubs if p.wait(600) != 0)
    t_published = time.monotonic() - t0
    published = total if not failed else -1

    def progress() -> int:
        return sum(int(v) for v in counter.hgetall(committed_key(settings)).values())

    last_progress, seen = time.monotonic(), -1
    while progress() < total and time.monotonic() - last_progress < 15:
        time.sleep(0.05)
        if progress() != seen:
            seen, last_progress = progress(), time.monotonic()
    elapsed = last_progress - t0
    committed = {k.decode(): int(v) for k, v in counter.hgetall(committed_key(settings)).items()}
    relay.wait(120)
    relay_out.seek(0)
    stamps = [float(line) for line in relay_out.read().split()]
    relay_out.close()
    relayed = (len(stamps), (stamps[-1] - stamps[0]) if stamps else 0.0, None, None)
    stop.set()
    for p in procs:
        p.join(30)
    for handle in files:
        handle.close()
    if not shared:  # the leader's persistent session: forget it
        cleanup = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=ids[0], protocol=mqtt.MQTTv5)
        cleanup.connect("127.0.0.1", int(env["PU_MQTT_PORT"]), clean_start=True)
        cleanup.disconnect()
    return ProcessRun(published, t_published, elapsed, committed, relayed)
