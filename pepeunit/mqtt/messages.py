"""What the consumer, the dispatcher and the handlers share."""
from __future__ import annotations

from dataclasses import dataclass, field


class Rejected(ValueError):
    """A message that is logged and dropped."""


@dataclass
class ConsumerContext:
    settings: object
    state_seen: dict = field(default_factory=dict)  # unit uuid -> monotonic time of last accepted state


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
    redelivered: int = 0  # DUP messages already committed (their PUBACK was lost): acknowledged, not stored again
    pipe_accepted: int = 0  # node values a DataPipe pipe stored (committed)
    pipe_dropped: dict = field(default_factory=dict)  # DataPipe drop reason -> committed count
