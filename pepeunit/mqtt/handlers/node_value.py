"""``{D}/{node}/pepeunit``: a node value. The last value of each Output node is kept.

Within a batch only the newest value per node survives; the write ignores Input
nodes (our own ``set_state_input`` echoes) and unknown nodes.
"""
from __future__ import annotations

from ...services.unit_reports import clean_text


def handle(context, batch, parsed, text: str, now) -> str:
    batch.node_values[parsed.node_uuid] = (clean_text(text), now)
    return "accepted"
