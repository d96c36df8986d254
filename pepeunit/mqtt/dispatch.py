"""Inbound MQTT messages, each parsed by the handler of its topic into a ``ReportBatch``.

Handlers only parse and validate; a bad message raises ``Rejected`` (logged and
dropped by the consumer) and never touches the batch. The consumer stores the
batch through ``services.report_batches`` in one transaction.
"""
from __future__ import annotations

from datetime import datetime

from ..broker import topics
from ..services.report_batches import ReportBatch
from .handlers import logs, node_value, state
from .messages import ConsumerContext, Rejected


def dispatch(context: ConsumerContext, batch: ReportBatch, topic: str, payload: bytes, now: datetime) -> str:
    """Parse one message into ``batch``; returns what happened ("accepted", "ignored", "throttled")."""
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
        return logs.handle(context, batch, parsed, _text(payload), now)
    return "ignored"


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected("payload is not UTF-8") from None
