"""Leader election under real gunicorn: one consumer, failover without losing QoS-1 messages."""
from __future__ import annotations

import json
import os
import signal
import time

import redis
import sqlalchemy as sa

from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import UnitLog
from pepeunit.runtime.runner import lease_name

from .. import world
from ..helpers import make_test_environ, publish_all, wait_until
from ..processes import Gunicorn


def _holder(redis_url, settings):
    value = redis.Redis.from_url(redis_url).get(f"pepeunit:lease:{lease_name(settings)}")
    return value.decode() if value else None


def _holder_pid(redis_url, settings):
    holder = _holder(redis_url, settings)
    return int(holder.split(":")[1]) if holder else None


def _texts(app, unit_uuid):
    with app.app_context():
        db.session.remove()
        return list(db.session.execute(sa.select(UnitLog.text).where(UnitLog.unit_uuid == unit_uuid)).scalars())


def _unit(app):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        db.session.commit()
        return unit.uuid


def _environ(database_url, redis_url):
    return make_test_environ(database_url, redis_url, PU_LEADER_LEASE_SECONDS=2)


def test_kill_9_of_the_leader_loses_no_qos1_message(app, settings, database_url, redis_url, publisher):
    unit_uuid = _unit(app)
    topic = topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, unit_uuid, topics.LOG)
    entry = lambda text: json.dumps({"level": "Info", "text": text})  # noqa: E731
    with Gunicorn(_environ(database_url, redis_url), workers=3) as server:
        assert wait_until(lambda: _holder_pid(redis_url, settings) in server.worker_pids(), 20), server.output()
        publish_all(publisher, [(topic, entry("before"))])
        assert wait_until(lambda: "before" in _texts(app, unit_uuid), 20), server.output()

        leader = _holder_pid(redis_url, settings)
        os.kill(leader, signal.SIGKILL)
        killed_at = time.monotonic()
        gap = [f"gap-{i}" for i in range(300)]
        publish_all(publisher, [(topic, entry(text)) for text in gap])  # nobody consumes right now

        def new_leader():
            pid = _holder_pid(redis_url, settings)
            return pid is not None and pid != leader and pid in server.worker_pids()

        assert wait_until(new_leader, 30), server.output()
        takeover = time.monotonic() - killed_at
        assert wait_until(lambda: len(set(_texts(app, unit_uuid)) & set(gap)) == len(gap), 30), server.output()
        texts = _texts(app, unit_uuid)
        assert sorted(t for t in texts if t.startswith("gap-")) == sorted(gap)  # each exactly once
        print(f"\nleader {leader} killed; new leader after {takeover:.2f}s; {len(gap)} gap messages all stored")


def test_two_masters_on_one_redis_run_exactly_one_consumer(app, settings, database_url, redis_url, publisher):
    unit_uuid = _unit(app)
    topic = topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, unit_uuid, topics.LOG)
    env = _environ(database_url, redis_url)
    with Gunicorn(env, workers=2) as first, Gunicorn(env, workers=2) as second:
        everyone = lambda: first.worker_pids() | second.worker_pids()  # noqa: E731
        assert wait_until(lambda: _holder_pid(redis_url, settings) in everyone(), 20)
        texts = [f"m-{i}" for i in range(200)]
        publish_all(publisher, [(topic, json.dumps({"level": "Info", "text": t})) for t in texts])
        assert wait_until(lambda: len(_texts(app, unit_uuid)) >= len(texts), 30)
        time.sleep(1.0)  # a second consumer, if any, would have stored duplicates by now
        assert sorted(_texts(app, unit_uuid)) == sorted(texts)
        logs = first.output() + second.output()
        leading = [line for line in logs.splitlines() if "leads: MQTT consumer" in line]
        assert len(leading) == 1, logs
        holder = _holder_pid(redis_url, settings)
        assert holder in everyone() and str(holder) in leading[0]
