"""``{D}/output_base_topic/{unit}/state/pepeunit``: the unit's hardware state.

Accepted at most once per ``PU_STATE_SEND_INTERVAL`` per unit, with a tolerance
of 10% (at most 5 s) so a unit sending exactly on the interval is never dropped
for network jitter. Only valid messages use up the window. The window is kept by
the consumer's ``state_gate`` (this process's, or Redis's in shared mode).
"""
from __future__ import annotations

from ...services.unit_reports import StateReport, parse_state
from ..messages import Rejected


def handle(context, batch, parsed, text: str, now) -> str:
    gate = context.state_gate
    if not gate.may_pass(parsed.unit_uuid):
        return "throttled"
    try:
        state_json, version = parse_state(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(f"Data Hardware state is invalid: {exc}") from None
    if not gate.take(parsed.unit_uuid, text):
        return "throttled"
    batch.states.append(StateReport(parsed.unit_uuid, state_json, version, now))
    return "accepted"
