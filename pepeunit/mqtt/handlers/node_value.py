"""``{D}/{node}/pepeunit``: a node value. The last value of each Output node is kept,
and every value goes through the node's DataPipe pipe, if it has an active one.

Within a batch only the newest value per node survives for the plain last value; the write
ignores Input nodes (our own ``set_state_input`` echoes) and unknown nodes. Pipes see every
value in arrival order (``services.datapipe.ingest``).
"""
from __future__ import annotations

from ...services.unit_reports import clean_text


def handle(context, batch, parsed, text: str, now) -> str:
    value = clean_text(text)
    batch.node_values[parsed.node_uuid] = (value, now)
    batch.pipe_values.append((parsed.node_uuid, value, now))
    return "accepted"
