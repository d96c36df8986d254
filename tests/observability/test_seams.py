"""Each instrumented seam moves its Prometheus family by exactly what happened (single process: the
default registry): the MQTT consumer and DataPipe, scheduled jobs, Telegram updates, firmware updates."""
from __future__ import annotations

import json

import telebot
from prometheus_client import REGISTRY

from pepeunit.bot.dispatch import process_update
from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.models.enums import ActivePeriodType, ProcessingPolicyType, TypeInputValue
from pepeunit.runtime.scheduler import Job, Scheduler
from pepeunit.services import unit_firmware
from pepeunit.services.datapipe import cache
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy

from .. import world
from ..helpers import RunningConsumer, publish_all, wait_until


class Figures:
    """Sample values now, and how much they moved since."""

    def __init__(self, *samples: tuple[str, dict]):
        self.samples = samples
        self.before = [self.value(name, labels) for name, labels in samples]

    @staticmethod
    def value(name: str, labels: dict | None = None) -> float:
        return REGISTRY.get_sample_value(name, labels or {}) or 0.0

    def moved(self) -> list[float]:
        return [self.value(name, labels) - was for (name, labels), was in zip(self.samples, self.before, strict=True)]


def _pipe(kind: TypeInputValue, policy: ProcessingPolicyType) -> str:
    return PipeConfig(active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
                      filters=Filters(type_input_value=kind, max_rate=0, max_size=0),
                      processing_policy=ProcessingPolicy(policy_type=policy, n_records_count=10,
                                                         time_window_size=60)).to_stored()


def test_consumer_and_datapipe_figures(app, settings, publisher, datapipe_on):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        number = world.node(unit, T.OUTPUT, "n/pepeunit")
        text = world.node(unit, T.OUTPUT, "t/pepeunit")
        number.is_data_pipe_active = text.is_data_pipe_active = True
        number.data_pipe_yml = _pipe(TypeInputValue.NUMBER, ProcessingPolicyType.N_RECORDS)
        text.data_pipe_yml = _pipe(TypeInputValue.TEXT, ProcessingPolicyType.TIME_WINDOW)
        db.session.commit()
        cache.invalidate()
        unit_uuid, number_uuid, text_uuid = unit.uuid, number.uuid, text.uuid
    domain = settings.PU_DOMAIN
    state = topics.base_topic(domain, topics.OUTPUT_BASE, unit_uuid, topics.STATE)
    log = topics.base_topic(domain, topics.OUTPUT_BASE, unit_uuid, topics.LOG)
    messages = [
        (f"{domain}/{number_uuid}/pepeunit", "1"), (f"{domain}/{number_uuid}/pepeunit", "2"),
        (f"{domain}/{number_uuid}/pepeunit", "abc"),  # not a number: the pipe drops it
        (f"{domain}/{text_uuid}/pepeunit", "hello"),
        (state, json.dumps({"millis": 1})), (state, json.dumps({"millis": 2})),  # the second is throttled
        (log, b"\xff\xfe"),  # not UTF-8: rejected
        (f"{domain}/output_base_topic/{unit_uuid}/other/pepeunit", "{}"),  # no such topic: ignored
    ]
    figures = Figures(
        ("pepeunit_mqtt_messages_received_total", {}), ("pepeunit_mqtt_messages_persisted_total", {}),
        ("pepeunit_mqtt_messages_dropped_total", {"reason": "throttled"}),
        ("pepeunit_mqtt_messages_dropped_total", {"reason": "rejected"}),
        ("pepeunit_mqtt_messages_dropped_total", {"reason": "ignored"}),
        ("pepeunit_datapipe_values_written_total", {"policy": "NRecords"}),
        ("pepeunit_datapipe_values_written_total", {"policy": "TimeWindow"}),
        ("pepeunit_datapipe_values_dropped_total", {"reason": "not_a_number"}),
        ("pepeunit_mqtt_batch_size_sum", {}), ("pepeunit_mqtt_batch_commit_duration_seconds_count", {}))
    with RunningConsumer(app) as consumer:
        publish_all(publisher, messages)
        assert wait_until(lambda: consumer.counters.received >= len(messages) and consumer.counters.committed
                          == consumer.counters.accepted and figures.moved()[1] == consumer.counters.committed, 20)
        batches = consumer.counters.batches
    moved = figures.moved()
    assert moved[:5] == [8, consumer.counters.committed, 1, 1, 1], (moved, consumer.counters)
    assert consumer.counters.committed == 5  # 4 node values and one state
    assert moved[5:8] == [2, 1, 1], consumer.counters.pipe_dropped
    assert moved[8] == 8 and moved[9] == batches >= 1


def test_scheduled_job_runs_and_failures(app):
    def broken():
        raise RuntimeError("job broke")

    figures = Figures(("pepeunit_scheduled_job_runs_total", {"job": "obs_ok"}),
                      ("pepeunit_scheduled_job_runs_total", {"job": "obs_broken"}),
                      ("pepeunit_scheduled_job_failures_total", {"job": "obs_ok"}),
                      ("pepeunit_scheduled_job_failures_total", {"job": "obs_broken"}))
    runner = Scheduler(app, jobs={"obs_ok": Job("obs_ok", 60, lambda: 1), "obs_broken": Job("obs_broken", 60, broken)})
    for name in ("obs_ok", "obs_ok", "obs_broken"):
        runner.run_job(name)
    assert figures.moved() == [2, 1, 0, 1]


def test_telegram_updates_by_outcome(app):
    bot = telebot.TeleBot("123456:figures-test-token", threaded=False)  # no handler: nothing is sent
    figures = Figures(("pepeunit_telegram_updates_total", {"outcome": "ok"}),
                      ("pepeunit_telegram_updates_total", {"outcome": "unreadable"}))
    assert process_update(app, bot, {"update_id": 1}) is None
    assert process_update(app, bot, {"update_id": 2, "message": 5}).startswith("Unreadable update")
    assert figures.moved() == [1, 1]


def test_firmware_updates_by_outcome(unit_world):
    unit_world.create_unit("fw-figures")  # auto-updated, never reported a version: it moves
    outcomes = ("sent", "unsent", "failed")
    figures = Figures(*[("pepeunit_firmware_updates_total", {"outcome": o}) for o in outcomes])
    with unit_world.app.app_context():
        done, failed = unit_firmware.update_units_of(unit_world.repo_uuid)
    moved = dict(zip(outcomes, figures.moved(), strict=True))
    assert (done, failed) == (1, 0)
    assert moved["sent"] + moved["unsent"] == 1 and moved["failed"] == 0
