"""PU_MQTT_CONSUMER_MODE=shared: every gunicorn worker consumes through one $share group.

Through a private Mosquitto 2 (round-robin dispatch, so one unit's or node's messages land on
different workers): each worker stores a share, totals are exact, the per-unit and per-node rules
hold across workers, kill -9 of a worker neither loses nor repeats a message, and two app
instances (two gunicorn masters) split the load.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from datetime import timedelta
from itertools import pairwise

import paho.mqtt.client as mqtt
import pytest
import redis
import sqlalchemy as sa

from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import DataPipeAggregation, DataPipeNRecord, Unit, UnitLog
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.models.columns import utcnow
from pepeunit.models.enums import (
    ActivePeriodType,
    AggregationFunctions,
    LogLevel,
    ProcessingPolicyType,
    TypeInputValue,
)
from pepeunit.mqtt.shared_consumer import SharedConsumer
from pepeunit.mqtt.shared_group import committed_key, members_key
from pepeunit.runtime.runner import lease_name
from pepeunit.services import mqtt_deliveries
from pepeunit.services.datapipe import ingest
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy

from .. import world
from ..helpers import make_test_environ, publish_all, wait_until
from ..processes import Gunicorn, Mosquitto


def _pipe(policy: ProcessingPolicy, kind=TypeInputValue.TEXT, max_rate: int = 0, last_unique_check=False) -> str:
    return PipeConfig(active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
                      filters=Filters(type_input_value=kind, max_size=100, max_rate=max_rate,
                                      last_unique_check=last_unique_check),
                      processing_policy=policy).to_stored()


def _environ(database_url, redis_url, port, **extra) -> dict:
    return make_test_environ(database_url, redis_url, PU_MQTT_PORT=port, PU_MQTT_CONSUMER_MODE="shared",
                             PU_MQTT_CONSUMER_ORPHAN_SECONDS=2, PU_LEADER_LEASE_SECONDS=2,
                             PU_FF_DATAPIPE_ENABLE="true", **extra)


@contextlib.contextmanager
def _publisher(port: int):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{os.getpid()}-{time.monotonic_ns()}")
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def _group(redis_url, settings) -> tuple[dict, dict]:
    """(client id -> heartbeat, client id -> committed messages) of the instance's consumers."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    return client.hgetall(members_key(settings)), {k: int(v) for k, v in client.hgetall(committed_key(settings)).items()}


def _reset_group(redis_url, settings) -> None:
    redis.Redis.from_url(redis_url).delete(members_key(settings), committed_key(settings))


def _log_unit(app):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        db.session.commit()
        return unit.uuid


def _log_texts(app, unit_uuid) -> list[str]:
    with app.app_context():
        db.session.remove()
        return list(db.session.execute(sa.select(UnitLog.text).where(UnitLog.unit_uuid == unit_uuid)).scalars())


def _log_message(settings, unit_uuid, text: str) -> tuple[str, str]:
    topic = topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, unit_uuid, topics.LOG)
    return topic, json.dumps({"level": "Info", "text": text})


def _wait_for_members(redis_url, settings, count: int, *servers) -> None:
    """Until ``count`` members beat and as many shared subscriptions are logged (SUBACK received)."""
    def output():
        return "".join(server.output() for server in servers)

    assert wait_until(lambda: len(_group(redis_url, settings)[0]) >= count, 30), output()
    assert wait_until(lambda: output().count("MQTT subscribed to $share/") >= count, 30), output()


def _n_records(app, node_uuid) -> list:
    with app.app_context():
        db.session.remove()
        return db.session.execute(sa.select(DataPipeNRecord.state, DataPipeNRecord.create_datetime)
                                  .where(DataPipeNRecord.unit_node_uuid == node_uuid)
                                  .order_by(DataPipeNRecord.create_datetime, DataPipeNRecord.id)).all()


def test_three_workers_each_store_a_share_and_per_node_rules_hold(app, settings, database_url, redis_url):
    _reset_group(redis_url, settings)
    with app.app_context():
        owner = world.user(bare=True)
        logs_unit, state_unit = world.unit(owner, bare=True), world.unit(owner, bare=True)
        configs = {
            "rate": _pipe(ProcessingPolicy(policy_type=ProcessingPolicyType.N_RECORDS, n_records_count=1000),
                          max_rate=1),
            "unique": _pipe(ProcessingPolicy(policy_type=ProcessingPolicyType.N_RECORDS, n_records_count=1000),
                            last_unique_check=True),
            "sum": _pipe(ProcessingPolicy(policy_type=ProcessingPolicyType.AGGREGATION, time_window_size=60,
                                          aggregation_functions=AggregationFunctions.SUM), TypeInputValue.NUMBER),
        }
        nodes = {}
        for name, stored in configs.items():
            node = world.node(logs_unit, T.OUTPUT, f"{name}/pepeunit")
            node.is_data_pipe_active, node.data_pipe_yml = True, stored
            nodes[name] = node
        db.session.commit()
        node_uuid = {name: node.uuid for name, node in nodes.items()}
        logs_uuid, state_uuid = logs_unit.uuid, state_unit.uuid
    node_topic = {name: f"{settings.PU_DOMAIN}/{uuid}/pepeunit" for name, uuid in node_uuid.items()}
    state_topic = topics.base_topic(settings.PU_DOMAIN, topics.OUTPUT_BASE, state_uuid, topics.STATE)

    def millis():
        with app.app_context():
            db.session.remove()
            state = db.session.get(Unit, state_uuid).unit_state_dict
            return json.loads(state)["millis"] if state else None

    with Mosquitto() as broker, Gunicorn(_environ(database_url, redis_url, broker.port), workers=3) as server, \
            _publisher(broker.port) as pub:
        _wait_for_members(redis_url, settings, 3, server)
        publish_all(pub, [(state_topic, json.dumps({"millis": 0}))])
        assert wait_until(lambda: millis() == 0, 20), server.output()
        sums, started = 0, time.monotonic()
        for round_ in range(10):
            batch = [_log_message(settings, logs_uuid, f"log-{round_}-{i}") for i in range(60)]
            batch += [(node_topic["rate"], f"r-{round_}-{i}") for i in range(5)]
            batch += [(node_topic["unique"], value) for value in ("x", "x", "y", "y")]
            batch += [(node_topic["sum"], str(round_ * 5 + i)) for i in range(5)]
            sums += sum(round_ * 5 + i for i in range(5))
            batch += [(state_topic, json.dumps({"millis": round_ + 1}))]  # all inside the state interval
            publish_all(pub, batch)
            time.sleep(0.25)
        accepted = 1 + 10 * (60 + 5 + 4 + 5)  # the first state, then every log and node value (states throttled)
        assert wait_until(lambda: sum(_group(redis_url, settings)[1].values()) >= accepted, 60), server.output()
        time.sleep(1.0)  # anything beyond the expected count would show now
        members, committed = _group(redis_url, settings)
        span = time.monotonic() - started  # receipt times of the rate node's values lie within it

    assert len(committed) == 3 and all(count > 0 for count in committed.values()), committed  # each a share
    assert sum(committed.values()) == accepted, committed  # acknowledged-and-committed == sent, exactly
    texts = _log_texts(app, logs_uuid)
    assert len(texts) == 600 and len(set(texts)) == 600  # rows == messages
    assert millis() == 0  # the state throttle is per unit across workers: the 10 later states were refused
    rate = _n_records(app, node_uuid["rate"])
    assert 2 <= len(rate) <= int(span) + 1, (span, rate)  # >= 2.5 s of values at max_rate 1 s
    assert all(b.create_datetime - a.create_datetime >= timedelta(seconds=1) for a, b in pairwise(rate)), rate
    unique = [row.state for row in _n_records(app, node_uuid["unique"])]
    assert unique and all(a != b for a, b in pairwise(unique)), unique
    with app.app_context():
        ingest.close_windows(utcnow() + timedelta(hours=1))
        rows = db.session.execute(sa.select(DataPipeAggregation.start_window_datetime, DataPipeAggregation.state)
                                  .where(DataPipeAggregation.unit_node_uuid == node_uuid["sum"])).all()
    starts = [row.start_window_datetime for row in rows]
    assert rows and len(starts) == len(set(starts))  # one aggregate per window
    assert sum(row.state for row in rows) == sums  # every value in exactly one window, once


def _leader_pid(redis_url, settings):
    value = redis.Redis.from_url(redis_url).get(f"pepeunit:lease:{lease_name(settings)}")
    return int(value.decode().split(":")[1]) if value else None


@pytest.mark.parametrize("victim_role", ["member", "leader"])
def test_kill_9_of_a_consumer_worker_loses_and_repeats_nothing(app, settings, database_url, redis_url, victim_role):
    """A member's session is drained by the leader; the leader's own (it consumes too) by the next leader."""
    _reset_group(redis_url, settings)
    unit_uuid = _log_unit(app)
    expected = [f"m-{i}" for i in range(1500)]
    with Mosquitto() as broker, Gunicorn(_environ(database_url, redis_url, broker.port), workers=3) as server, \
            _publisher(broker.port) as pub:
        _wait_for_members(redis_url, settings, 3, server)
        publish_all(pub, [_log_message(settings, unit_uuid, text) for text in expected[:300]])
        leader = wait_until(lambda: _leader_pid(redis_url, settings), 20)
        others = sorted(server.worker_pids() - {leader})
        victim = leader if victim_role == "leader" else others[0]
        victim_id = next(c for c in _group(redis_url, settings)[0] if c.endswith(f"-{victim}"))
        sender = threading.Thread(target=lambda: [
            (publish_all(pub, [_log_message(settings, unit_uuid, text) for text in expected[start:start + 100]]),
             time.sleep(0.1)) for start in range(300, 1500, 100)])
        sender.start()
        time.sleep(0.3)
        os.kill(victim, signal.SIGKILL)  # mid-stream: its batch in flight, its session keeps getting a share
        sender.join(60)
        assert wait_until(lambda: len(_log_texts(app, unit_uuid)) >= 1500, 90), server.output()
        assert wait_until(lambda: victim_id not in _group(redis_url, settings)[0], 30), server.output()
        time.sleep(1.0)
        output = server.output()
    texts = _log_texts(app, unit_uuid)
    assert sorted(texts) == sorted(expected)  # nothing lost, nothing twice
    assert f"session of consumer {victim_id} drained" in output  # the leader adopted the dead worker's session
    with app.app_context():
        left = db.session.execute(sa.text("SELECT count(*) FROM mqtt_deliveries WHERE client_id = :c"),
                                  {"c": victim_id}).scalar()
    assert left == 0


def test_two_app_instances_share_the_load(app, settings, database_url, redis_url):
    _reset_group(redis_url, settings)
    unit_uuid = _log_unit(app)
    expected = [f"two-{i}" for i in range(400)]
    with Mosquitto() as broker:
        env = _environ(database_url, redis_url, broker.port)
        with Gunicorn(env, workers=2) as first, Gunicorn(env, workers=2) as second, _publisher(broker.port) as pub:
            _wait_for_members(redis_url, settings, 4, first, second)
            for start in range(0, 400, 100):
                publish_all(pub, [_log_message(settings, unit_uuid, t) for t in expected[start:start + 100]])
            assert wait_until(lambda: len(_log_texts(app, unit_uuid)) >= 400, 60), first.output() + second.output()
            time.sleep(1.0)
            committed = _group(redis_url, settings)[1]
            pids = {"first": first.worker_pids(), "second": second.worker_pids()}
    assert sorted(_log_texts(app, unit_uuid)) == sorted(expected)
    by_instance = {name: sum(n for c, n in committed.items() if int(c.rsplit("-", 1)[1]) in p)
                   for name, p in pids.items()}
    assert by_instance["first"] > 0 and by_instance["second"] > 0, (committed, pids)
    assert sum(by_instance.values()) == 400


class _Acks:
    def __init__(self):
        self.mids = []

    def ack(self, mid, qos):
        self.mids.append(mid)


def test_a_redelivered_message_already_committed_is_acknowledged_not_stored_again(app, settings):
    """A worker committed a batch and died before its PUBACKs: the session's next holder gets the
    messages again (same packet ids, dup) and must not store them twice; a new message that reuses
    a packet id is stored."""
    unit_uuid = _log_unit(app)
    topic, _ = _log_message(settings, unit_uuid, "")

    def items(texts, dup):
        return [(topic.encode(), json.dumps({"level": LogLevel.INFO.value, "text": t}).encode(), i + 1, 1, dup)
                for i, t in enumerate(texts)]

    with app.app_context():
        first = SharedConsumer(app, client_id="test-consumer-a")
        first.client = _Acks()
        first._handle(items(["a", "b", "c"], False), threading.Event())
        heir = SharedConsumer(app, client_id="test-consumer-a")  # the session resumed elsewhere
        heir.client = _Acks()
        heir._handle(items(["a", "b", "c"], True), threading.Event())
        assert sorted(heir.client.mids) == [1, 2, 3] and heir.counters.redelivered == 3
        heir._handle(items(["d"], True), threading.Event())  # packet id 1 reused by a new message
        stranger = SharedConsumer(app, client_id="test-consumer-b")  # another session, same ids
        stranger.client = _Acks()
        stranger._handle(items(["a"], True), threading.Event())
    assert sorted(_log_texts(app, unit_uuid)) == ["a", "a", "b", "c", "d"]


def test_workers_leave_and_join_mid_stream_without_losing_a_message(app, settings, database_url, redis_url):
    """Scale down (SIGTTOU: gunicorn stops its oldest worker gracefully, as max_requests restarts do)
    then up (SIGTTIN): the leaving consumer unsubscribes, stores what it holds and ends its session
    itself (no adoption needed); the new one joins the group."""
    _reset_group(redis_url, settings)
    unit_uuid = _log_unit(app)
    expected = [f"j-{i}" for i in range(1200)]
    with Mosquitto() as broker, Gunicorn(_environ(database_url, redis_url, broker.port), workers=3) as server, \
            _publisher(broker.port) as pub:
        _wait_for_members(redis_url, settings, 3, server)
        before = set(_group(redis_url, settings)[0])
        for start in range(0, 1200, 100):
            publish_all(pub, [_log_message(settings, unit_uuid, t) for t in expected[start:start + 100]])
            if start == 300:
                server.proc.send_signal(signal.SIGTTOU)
            if start == 700:
                server.proc.send_signal(signal.SIGTTIN)
            time.sleep(0.2)
        assert wait_until(lambda: len(_log_texts(app, unit_uuid)) >= 1200, 60), server.output()
        assert wait_until(lambda: len(_group(redis_url, settings)[0]) == 3
                          and set(_group(redis_url, settings)[0]) != before, 30), server.output()
        time.sleep(1.0)
        members, committed = _group(redis_url, settings)
        output = server.output()
    assert sorted(_log_texts(app, unit_uuid)) == sorted(expected)
    left = before - set(members)
    assert len(left) == 1 and "stopped beating" not in output  # it left cleanly: nothing to adopt
    assert all(committed.get(c, 0) > 0 for c in before)  # the leaver stored its share before leaving


def test_delivery_rows_are_pruned_once_their_packet_ids_are_all_reused(app, monkeypatch):
    monkeypatch.setattr(mqtt_deliveries, "KEEP", 10)
    with app.app_context():
        for batch in range(5):  # 5 batches of 4 packet ids: 1-4, 5-8, 9-12, 13-16, 17-20
            mqtt_deliveries.record("test-prune", [(batch * 4 + i, 100 + batch * 4 + i) for i in range(1, 5)])
            db.session.commit()
        kept = db.session.execute(sa.text("SELECT packet_ids FROM mqtt_deliveries WHERE client_id = 'test-prune' "
                                          "ORDER BY id")).scalars().all()
        assert [ids[0] for ids in kept] == [9, 13, 17]  # the newest rows covering at least KEEP ids
        assert mqtt_deliveries.stored_already("test-prune", [(9, 109), (20, 120), (1, 101), (13, 999)]) == {9, 20}
        assert mqtt_deliveries.forget("test-prune") == 3
