"""The consumer when a service it needs fails: Redis away after a commit, the broker restarted."""
from __future__ import annotations

import dataclasses
import json
import logging
import socket
import subprocess
import time

import paho.mqtt.client as mqtt
import redis
import sqlalchemy as sa

from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import UnitLog, UnitNode
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.models.data_pipe import DataPipeNRecord
from pepeunit.models.enums import ActivePeriodType, ProcessingPolicyType, TypeInputValue
from pepeunit.mqtt import consumer as consumer_module
from pepeunit.services import unit_reports
from pepeunit.services.datapipe import cache
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy

from .. import world
from ..helpers import RunningConsumer, publish_all, wait_until
from ..processes import free_port


def _n_records_pipe() -> str:
    return PipeConfig(active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
                      filters=Filters(type_input_value=TypeInputValue.TEXT, max_rate=0, max_size=0),
                      processing_policy=ProcessingPolicy(policy_type=ProcessingPolicyType.N_RECORDS,
                                                         n_records_count=10)).to_stored()


def test_redis_down_after_commit_stores_the_batch_exactly_once(app, settings, publisher, monkeypatch):
    monkeypatch.setitem(app.config, "PU_SETTINGS", dataclasses.replace(settings, PU_FF_DATAPIPE_ENABLE=True))
    cache.forget()
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        out = world.node(unit, T.OUTPUT, "temp/pepeunit")
        piped = world.node(unit, T.OUTPUT, "piped/pepeunit")
        piped.is_data_pipe_active = True
        piped.data_pipe_yml = _n_records_pipe()
        db.session.commit()
        cache.invalidate()
        unit_uuid, out_uuid, piped_uuid = unit.uuid, out.uuid, piped.uuid
    dead = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    monkeypatch.setattr(unit_reports, "get_redis", lambda: dead)
    domain = settings.PU_DOMAIN
    log_topic = topics.base_topic(domain, topics.OUTPUT_BASE, unit_uuid, topics.LOG)
    messages = [(log_topic, json.dumps({"level": "Info", "text": f"line {i}"})) for i in range(3)]
    messages += [(f"{domain}/{out_uuid}/pepeunit", "21.5"), (f"{domain}/{piped_uuid}/pepeunit", "kept")]
    try:
        with RunningConsumer(app, batch_wait=1.0) as consumer:
            publish_all(publisher, messages)
            assert wait_until(lambda: consumer.counters.committed >= len(messages))
            time.sleep(0.5)  # a retry of the batch would land now
            assert consumer.counters.committed == len(messages)
            assert consumer.counters.rejected == 0
            # both nodes are Output nodes: an NRecords pipe stores its rows and leaves the plain state flow on
            assert consumer.counters.log_rows == 3 and consumer.counters.node_values == 2
            assert consumer.counters.pipe_accepted == 1
        with app.app_context():
            db.session.remove()
            texts = db.session.execute(sa.select(UnitLog.text).where(UnitLog.unit_uuid == unit_uuid)).scalars().all()
            assert sorted(texts) == ["line 0", "line 1", "line 2"]
            records = db.session.execute(sa.select(DataPipeNRecord.state)
                                         .where(DataPipeNRecord.unit_node_uuid == piped_uuid)).scalars().all()
            assert records == ["kept"]
            assert db.session.get(UnitNode, out_uuid).state == "21.5"
            assert unit_reports.last_node_value(out_uuid) == "21.5"  # read through to PostgreSQL
    finally:
        cache.forget()


def test_mirror_outage_is_logged_once_and_repaired(app, caplog, monkeypatch):
    live = unit_reports.get_redis
    failing = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    with app.app_context():
        assert unit_reports.mirror_node_values([("b", "0")]) is True  # ends any outage an earlier test left
        live().set(unit_reports.NODE_VALUE_KEY + "a", "old")
        monkeypatch.setattr(unit_reports, "get_redis", lambda: failing)
        with caplog.at_level(logging.INFO, logger=unit_reports.__name__):
            for value in ("1", "2", "3"):
                assert unit_reports.mirror_node_values([("a", value)]) is False
            monkeypatch.setattr(unit_reports, "get_redis", live)
            assert unit_reports.mirror_node_values([("b", "4")]) is True
        assert live().get(unit_reports.NODE_VALUE_KEY + "a") is None  # stale: dropped, readers use PostgreSQL
        assert live().get(unit_reports.NODE_VALUE_KEY + "b") == b"4"
    messages = [r.getMessage() for r in caplog.records if r.name == unit_reports.__name__]
    assert sum("Redis unavailable" in m for m in messages) == 1
    assert sum("Redis back" in m and "3 node-value mirrors had failed" in m for m in messages) == 1
    assert not any(r.exc_info for r in caplog.records)


class _Mosquitto:
    """A Mosquitto of this test's own on ``port`` (the machine's one is shared): it can be stopped."""

    def __init__(self, port: int):
        self.port, self.proc = port, None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-p", str(self.port)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def test_broker_down_longer_than_the_v5_wait_keeps_mqtt5(app, settings, monkeypatch, caplog):
    monkeypatch.setattr(consumer_module, "V5_CONNACK_WAIT", 1.0)  # so a short outage outlasts it
    port = free_port()
    broker = _Mosquitto(port)
    broker.start()
    running = RunningConsumer(app)
    running.consumer.settings = dataclasses.replace(settings, PU_MQTT_PORT=port)
    try:
        with caplog.at_level(logging.INFO, logger=consumer_module.__name__), running as consumer:
            assert consumer.protocol == mqtt.MQTTv5
            broker.stop()
            assert wait_until(lambda: not consumer.connected.is_set(), timeout=10)
            time.sleep(4 * consumer_module.V5_CONNACK_WAIT)  # paho retries after 1, 2, 4 s: refused each time
            broker.start()
            assert wait_until(consumer.subscribed.is_set, timeout=30)
            assert consumer.protocol == mqtt.MQTTv5
        messages = [r.getMessage() for r in caplog.records if r.name == consumer_module.__name__]
        assert not any("refuses MQTT 5" in m for m in messages)
        assert sum("unreachable" in m for m in messages) == 1  # the outage, once: not per retry
    finally:
        broker.stop()
