"""``{D}/output_base_topic/{unit}/state/pepeunit``: the unit's hardware state.

Accepted at most once per ``PU_STATE_SEND_INTERVAL`` per unit, with a tolerance
of 10% (at most 5 s) so a unit sending exactly on the interval is never dropped
for network jitter. Only valid messages use up the window.
"""
from __future__ import annotations

import time

from ...services.unit_reports import StateReport, parse_state
from ..messages import Rejected


def tolerance(interval: int) -> float:
    return min(interval * 0.1, 5.0)


def handle(context, batch, parsed, text: str, now) -> str:
    last = context.state_seen.get(parsed.unit_uuid)
    interval = context.settings.PU_STATE_SEND_INTERVAL
    clock = time.monotonic()
    if last is not None and clock - last < interval - tolerance(interval):
        return "throttled"
    try:
        state_json, version = parse_state(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(f"Data Hardware state is invalid: {exc}") from None
    context.state_seen[parsed.unit_uuid] = clock
    batch.states.append(StateReport(parsed.unit_uuid, state_json, version, now))
    return "accepted"
