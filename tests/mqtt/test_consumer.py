"""The consumer end to end through the real Mosquitto: state, logs, node values, hostile input."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import Unit, UnitLog, UnitNode
from pepeunit.models import UnitFirmwareUpdateStatus as S
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.services import unit_reports

from .. import world
from ..helpers import RunningConsumer, publish_all, wait_until


def _state_topic(settings, unit_uuid):
    return topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, unit_uuid, topics.STATE)


def _log_topic(settings, unit_uuid):
    return topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, unit_uuid, topics.LOG)


def _new_unit(app):
    """The uuid of a committed unit of a new user (no nodes)."""
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        db.session.commit()
        return unit.uuid


def test_state_is_normalised_and_stored(app, settings, publisher):
    unit_uuid = _new_unit(app)
    state = {"millis": 12, "mem_free": True, "freq": "fast", "statvfs": [1, "x", 2.5], "ifconfig": "nope",
             "pu_commit_version": "abc123", "secret": "dropped"}
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(_state_topic(settings, unit_uuid), json.dumps(state))])
        assert wait_until(lambda: consumer.counters.states >= 1)
    with app.app_context():
        row = db.session.get(Unit, unit_uuid)
        assert json.loads(row.unit_state_dict) == {
            "ifconfig": [], "millis": 12.0, "mem_free": 1.0, "mem_alloc": None, "freq": None,
            "statvfs": [1.0, 2.5], "pu_commit_version": "abc123"}
        assert list(json.loads(row.unit_state_dict)) == list(unit_reports.STATE_KEYS)
        assert row.current_commit_version == "abc123"


def test_state_rate_limit_keeps_one_per_interval(app, settings, publisher):
    unit_uuid = _new_unit(app)
    topic = _state_topic(settings, unit_uuid)
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic, json.dumps({"pu_commit_version": f"v{i}"})) for i in range(5)])
        assert wait_until(lambda: consumer.counters.states + consumer.counters.throttled >= 5)
        assert consumer.counters.states == 1 and consumer.counters.throttled == 4
    with app.app_context():
        assert db.session.get(Unit, unit_uuid).current_commit_version == "v0"


def test_invalid_state_does_not_use_up_the_window(app, settings, publisher):
    unit_uuid = _new_unit(app)
    topic = _state_topic(settings, unit_uuid)
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic, "[1, 2]"), (topic, "not json"), (topic, '{"pu_commit_version": "ok"}')])
        assert wait_until(lambda: consumer.counters.states == 1)
        assert consumer.counters.rejected == 2
    with app.app_context():
        assert db.session.get(Unit, unit_uuid).current_commit_version == "ok"


def test_firmware_update_times_out_to_error(app, settings, publisher):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True, firmware_update_status=S.REQUEST_SENT,
                          last_firmware_update_datetime=datetime.utcnow() - timedelta(hours=1))
        db.session.commit()
        unit_uuid = unit.uuid
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(_state_topic(settings, unit_uuid), '{"pu_commit_version": "old"}')])
        assert wait_until(lambda: consumer.counters.states == 1)
    with app.app_context():
        row = db.session.get(Unit, unit_uuid)
        # The repo has no local clone here, so the target is unknown: the status must not move.
        assert row.firmware_update_status is S.REQUEST_SENT


def test_logs_single_array_and_bad_entries(app, settings, publisher):
    unit_uuid = _new_unit(app)
    topic = _log_topic(settings, unit_uuid)
    messages = [
        (topic, json.dumps({"level": "info", "text": "one"})),
        (topic, json.dumps([{"level": "Error", "text": "two", "create_datetime": "2026-01-02T03:04:05+02:00"},
                            {"level": "WARN", "text": "bad level"},
                            {"level": "Debug", "text": "three\u0000nul"},
                            {"level": "Critical"}])),
        (topic, "{broken"),
        (topic, json.dumps([])),
    ]
    with RunningConsumer(app) as consumer:
        publish_all(publisher, messages)
        assert wait_until(lambda: consumer.counters.log_rows >= 3)
        assert wait_until(lambda: consumer.counters.rejected >= 2)
    with app.app_context():
        rows = db.session.execute(sa.select(UnitLog).where(UnitLog.unit_uuid == unit_uuid)).scalars().all()
        by_text = {r.text: r for r in rows}
        assert set(by_text) == {"one", "two", "threenul"}
        assert by_text["two"].create_datetime == datetime(2026, 1, 2, 1, 4, 5)
        assert by_text["one"].level.value == "Info"
        ttl = by_text["one"].expiration_datetime - by_text["one"].create_datetime
        assert abs(ttl.total_seconds() - settings.PU_UNIT_LOG_EXPIRATION) < 60


def test_output_node_last_value_in_redis_and_postgres(app, settings, publisher):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        out = world.node(unit, T.OUTPUT, "temp/pepeunit")
        inp = world.node(unit, T.INPUT, "set/pepeunit")
        db.session.commit()
        out_uuid, in_uuid = out.uuid, inp.uuid
    domain = settings.PU_DOMAIN
    messages = [(f"{domain}/{out_uuid}/pepeunit", str(i)) for i in range(50)]
    messages.append((f"{domain}/{in_uuid}/pepeunit", "echo of our own input"))
    with RunningConsumer(app) as consumer:
        publish_all(publisher, messages)
        assert wait_until(lambda: consumer.counters.accepted >= 51)
        assert wait_until(lambda: unit_value(app, out_uuid) == "49")
    with app.app_context():
        assert unit_reports.last_node_value(out_uuid) == "49"
        assert db.session.get(UnitNode, in_uuid).state is None
        assert unit_reports.last_node_value(in_uuid) is None
        assert consumer.counters.batches < 51  # values were written in batches, not one by one


def unit_value(app, node_uuid):
    with app.app_context():
        db.session.remove()
        return db.session.get(UnitNode, node_uuid).state


def test_hostile_payloads_never_stop_the_consumer(app, settings, publisher):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        out = world.node(unit, T.OUTPUT, "v/pepeunit")
        db.session.commit()
        unit_uuid, out_uuid = unit.uuid, out.uuid
    domain = settings.PU_DOMAIN
    huge = "x" * (settings.PU_MQTT_MAX_PAYLOAD_SIZE * 1024 + 1)
    hostile = [
        (_log_topic(settings, unit_uuid), huge),
        (_log_topic(settings, unit_uuid), b"\xff\xfe\x00"),
        (_log_topic(settings, unit_uuid), '{"level": "Info", "text": "\\ud800 lone"}'),
        (_log_topic(settings, unit_uuid), '[' * 100000),
        (_log_topic(settings, unit_uuid), json.dumps({"level": "Info", "text": "t", "create_datetime": "yesterday"})),
        (_state_topic(settings, unit_uuid), '{"pu_commit_version": "\\u0000bad", "millis": 1e999}'),
        (f"{domain}/output_base_topic/not-a-uuid/log/pepeunit", "{}"),
        (f"{domain}/{out_uuid}/pepeunit", b"\xc3\x28"),
        (f"{domain}/output_base_topic/{unit_uuid}/other/pepeunit", "{}"),
        (topics.base_topic(domain, topics.OUTPUT_BASE, "00000000-0000-0000-0000-000000000000", topics.LOG),
         json.dumps({"level": "Info", "text": "unknown unit"})),
    ]
    with RunningConsumer(app) as consumer:
        publish_all(publisher, hostile)
        assert wait_until(lambda: consumer.counters.received >= len(hostile))
        publish_all(publisher, [(_log_topic(settings, unit_uuid), json.dumps({"level": "Info", "text": "alive"}))])
        assert wait_until(lambda: consumer.counters.received >= len(hostile) + 1)
        assert wait_until(lambda: "alive" in log_texts(app, unit_uuid))
        assert consumer.counters.rejected >= 5
    texts = log_texts(app, unit_uuid)
    assert "\ufffd lone" in texts or "? lone" in texts
    assert "unknown unit" not in texts
    with app.app_context():
        assert db.session.get(Unit, unit_uuid).current_commit_version is None


def log_texts(app, unit_uuid):
    with app.app_context():
        db.session.remove()
        return set(db.session.execute(sa.select(UnitLog.text).where(UnitLog.unit_uuid == unit_uuid)).scalars())


def test_batches_group_many_messages(app, settings, publisher):
    unit_uuid = _new_unit(app)
    topic = _log_topic(settings, unit_uuid)
    publisher_messages = [(topic, json.dumps({"level": "Info", "text": f"m{i}"})) for i in range(2000)]
    with RunningConsumer(app, batch_wait=0.2) as consumer:
        publish_all(publisher, publisher_messages)
        assert wait_until(lambda: consumer.counters.log_rows >= 2000, timeout=30)
        assert consumer.counters.batches <= 200
    assert len(log_texts(app, unit_uuid)) == 2000
