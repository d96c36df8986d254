"""What the consumer, the dispatcher and the handlers share."""
from __future__ import annotations

from dataclasses import dataclass, field

from .state_gate import LocalGate, gate_for


class Rejected(ValueError):
    """A message that is logged and dropped."""


@dataclass
class ConsumerContext:
    settings: object
    state_gate: LocalGate | None = None  # the per-unit state throttle; by consumer mode when not given

    def __post_init__(self):
        if self.state_gate is None:
            self.state_gate = gate_for(self.settings)


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
    redelivered: int = 0  # dup messages whose delivery was committed already: acknowledged, not stored again
    committed: int = 0  # accepted messages whose batch was committed (= persisted)
    redelivered: int = 0  # DUP messages already committed (their PUBACK was lost): acknowledged, not stored again
    pipe_accepted: int = 0  # node values a DataPipe pipe stored (committed)
    pipe_dropped: dict = field(default_factory=dict)  # DataPipe drop reason -> committed count
