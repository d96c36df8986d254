"""Inbound MQTT messages, parsed into a ``Batch`` that is written to the database in one go.

Handlers only parse and validate; a bad message raises ``Rejected`` (logged and
dropped by the consumer) and never touches the batch. ``flush`` writes the
batch through the service layer in one transaction.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from ...extensions import db
from ...services import unit_logs, unit_reports
from .. import topics

log = logging.getLogger(__name__)


class Rejected(ValueError):
    """A message that is logged and dropped."""


@dataclass
class Batch:
    states: list = field(default_factory=list)  # unit_reports.StateReport
    logs: list = field(default_factory=list)  # unit_logs.LogEntry
    log_units: dict = field(default_factory=dict)  # unit uuid -> last log receipt
    node_values: dict = field(default_factory=dict)  # node uuid -> (value, time)
    messages: int = 0

    def __bool__(self) -> bool:
        return bool(self.states or self.logs or self.node_values)


@dataclass
class Counters:
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    throttled: int = 0
    ignored: int = 0
    log_rows: int = 0
    node_values: int = 0
    states: int = 0
    batches: int = 0
    committed: int = 0  # accepted messages whose batch was committed (= persisted)


def dispatch(context, batch: Batch, topic: str, payload: bytes, now: datetime) -> str:
    """Parse one message into ``batch``; returns what happened ("accepted", "ignored", "throttled")."""
    from . import logs as log_handler
    from . import node_value, state

    limit = context.settings.PU_MQTT_MAX_PAYLOAD_SIZE * 1024
    if len(payload) > limit:
        raise Rejected(f"Payload size is {len(payload)}, limit is {context.settings.PU_MQTT_MAX_PAYLOAD_SIZE} KB")
    parsed = topics.parse(topic)
    if parsed is None or parsed.domain != context.settings.PU_DOMAIN:
        return "ignored"
    if parsed.kind == "node":
        if not parsed.node_suffix:
            return "ignored"
        return node_value.handle(context, batch, parsed, _text(payload), now)
    if parsed.destination != topics.OUTPUT_BASE:
        return "ignored"  # our own commands on input_base_topic come back to us
    if parsed.name == topics.STATE:
        return state.handle(context, batch, parsed, _text(payload), now)
    if parsed.name == topics.LOG:
        return log_handler.handle(context, batch, parsed, _text(payload), now)
    return "ignored"


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("payload is not UTF-8") from None


def flush(batch: Batch, counters: Counters) -> None:
    """Write a batch in one transaction; Redis mirrors only after the commit."""
    states = unit_reports.apply_states(batch.states)
    rows = unit_logs.store(batch.logs)
    unit_reports.touch_units(batch.log_units)
    written = unit_reports.store_node_values(batch.node_values)
    db.session.commit()
    unit_reports.mirror_node_values(written)
    counters.states += states
    counters.log_rows += rows
    counters.node_values += len(written)
    counters.batches += 1
