"""A deposed leader's batch is refused: the lease generation is checked in the batch's transaction."""
from __future__ import annotations

import json
import threading

import pytest
import redis
import sqlalchemy as sa

from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import LeaderFence, UnitLog
from pepeunit.models.columns import utcnow
from pepeunit.models.enums import LogLevel
from pepeunit.mqtt.consumer import Consumer
from pepeunit.runtime.lease import Leadership, RedisLease
from pepeunit.services import report_batches, unit_logs
from pepeunit.services.report_batches import ReportBatch

from .. import world


def _unit_uuid(app):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        db.session.commit()
        return unit.uuid


def _log_batch(unit_uuid, text: str) -> ReportBatch:
    entry = unit_logs.LogEntry(unit_uuid, LogLevel.INFO, text, utcnow())
    return ReportBatch(logs=[entry], log_units={unit_uuid: entry.create_datetime})


def _texts(unit_uuid) -> list[str]:
    db.session.remove()
    return sorted(db.session.execute(sa.select(UnitLog.text).where(UnitLog.unit_uuid == unit_uuid)).scalars())


class _Leadership(threading.Event):
    """A leader's ``stop`` as the runtime hands it over (``runtime.lease.Leadership``): a fence and a deadline."""

    def __init__(self, fence, valid: bool = True):
        super().__init__()
        self.fence = fence
        self.valid = valid

    def expired(self) -> bool:
        if not self.valid:
            self.set()
        return self.is_set()


class _Acks:
    def __init__(self):
        self.mids = []

    def ack(self, mid, qos):
        self.mids.append(mid)


def _consumer(app, fence, valid: bool = True):
    consumer = Consumer(app)
    consumer.client = _Acks()
    return consumer, _Leadership(fence, valid)


def _log_items(settings, unit_uuid, *texts: str) -> list:
    topic = topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, unit_uuid, topics.LOG).encode()
    return [(topic, json.dumps({"level": "Info", "text": text}).encode(), i + 1, 1, False)
            for i, text in enumerate(texts)]


def test_a_batch_of_an_older_generation_writes_nothing(app):
    unit_uuid = _unit_uuid(app)
    with app.app_context():
        report_batches.store(_log_batch(unit_uuid, "gen 7"), ("fence-a", 7))
        report_batches.store(_log_batch(unit_uuid, "gen 7 again"), ("fence-a", 7))  # the same leadership goes on
        with pytest.raises(report_batches.Deposed):
            report_batches.store(_log_batch(unit_uuid, "gen 6"), ("fence-a", 6))
        report_batches.store(_log_batch(unit_uuid, "other lease"), ("fence-b", 1))  # fences are per lease
        assert _texts(unit_uuid) == ["gen 7", "gen 7 again", "other lease"]
        assert db.session.get(LeaderFence, "fence-a").generation == 7


def test_a_deposed_consumer_stops_and_acknowledges_nothing(app, settings):
    unit_uuid = _unit_uuid(app)
    old, old_stop = _consumer(app, ("fence-c", 4))
    new, new_stop = _consumer(app, ("fence-c", 5))
    with app.app_context():
        old._handle(_log_items(settings, unit_uuid, "old 1"), old_stop)  # the only leader so far: written
        new._handle(_log_items(settings, unit_uuid, "new 1", "new 2"), new_stop)  # the next leader takes over
        old._handle(_log_items(settings, unit_uuid, "old 2", "old 3"), old_stop)  # still running: refused
        assert old_stop.is_set() and not new_stop.is_set()
        assert old.client.mids == [1] and old.counters.committed == 1
        assert new.client.mids == [1, 2] and new.counters.committed == 2
        assert new.counters.rejected == 0 and old.counters.rejected == 0
        assert _texts(unit_uuid) == ["new 1", "new 2", "old 1"]


def test_a_consumer_past_its_deadline_writes_nothing(app, settings):
    unit_uuid = _unit_uuid(app)
    late, late_stop = _consumer(app, ("fence-d", 1), valid=False)
    with app.app_context():
        late._handle(_log_items(settings, unit_uuid, "late"), late_stop)
        assert late_stop.is_set() and late.client.mids == [] and late.counters.committed == 0
        assert _texts(unit_uuid) == []


def test_leaderships_of_one_lease_fence_each_other(app, settings, redis_url):
    """The runtime's own ``Leadership``: the old holder, its lease stolen once lapsed, is refused."""
    unit_uuid = _unit_uuid(app)
    client = redis.Redis.from_url(redis_url)
    old_lease, new_lease = RedisLease(client, "fence-e", 60000), RedisLease(client, "fence-e", 60000)
    assert old_lease.acquire()
    old = Consumer(app)
    old.client, old_stop = _Acks(), Leadership(old_lease)
    client.delete(old_lease.key)  # lapsed while the old holder was starved of CPU
    assert new_lease.acquire()
    new = Consumer(app)
    new.client, new_stop = _Acks(), Leadership(new_lease)
    with app.app_context():
        new._handle(_log_items(settings, unit_uuid, "new"), new_stop)
        old._handle(_log_items(settings, unit_uuid, "old"), old_stop)  # its deadline not yet passed: the fence refuses
        assert old_stop.is_set() and old.client.mids == [] and not new_stop.is_set()
        assert _texts(unit_uuid) == ["new"]
