"""A consumer batch's node values through their pipes, stored in the batch's transaction.

The MQTT consumer collects every ``<domain>/<node uuid>/pepeunit`` message of a batch, in arrival
order. ``report_batches.store`` calls ``apply`` inside its transaction: the nodes' filter state is
loaded once, each message goes through ``pipeline.run``, and the accepted values, the open
aggregation windows and the new filter state are written with one statement per kind. The
consumer acknowledges the messages after the commit, so a crash or a leader change redelivers a
batch whose effects (filter state included) were never committed: nothing is lost, no burst
passes ``max_rate``.

Several consumers (``PU_MQTT_CONSUMER_MODE=shared``) may hold messages of one node in parallel
batches: ``report_batches`` locks the node's row first, so their transactions run one after the
other and each reads the state the previous one committed. A batch stamped (``at``) before a
value already committed by another consumer is stamped at that value's time instead, so a node's
stored values stay in commit order and ``max_rate`` / ``last_unique_check`` compare neighbours.

The leader's jobs close aggregation windows (``close_windows``) and apply retention (``expire``).
"""
from __future__ import annotations

import uuid as uuid_module
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from ...extensions import db
from ...models import UnitNode
from ...models.columns import utcnow
from ...models.data_pipe import DataPipeNRecord
from ...models.enums import ProcessingPolicyType
from . import pipeline
from .pipe_config import PipeConfig, n_records_count
from .postgres_store import STORE
from .storage import LastValueRow, NodeState, NRecordRow, PipeStore, TimeWindowRow, WindowValue

# A window is written this long after its end: a batch stamped just before the end and committed
# just after it still lands in the window before it closes.
CLOSE_GRACE = timedelta(seconds=2)


@dataclass
class Outcome:
    accepted: int = 0  # values stored by a pipe
    dropped: Counter = field(default_factory=Counter)  # reason (pipeline.REASONS) -> messages
    written: Counter = field(default_factory=Counter)  # processing policy (its value) -> values stored
    last_values: list = field(default_factory=list)  # (node uuid text, value) written to units_nodes.state


def apply(values: list[tuple[uuid_module.UUID, str, datetime]], configs: dict[uuid_module.UUID, PipeConfig],
          store: PipeStore = STORE) -> Outcome:
    """Run ``(node, payload, received at)`` through the pipes of ``configs``; messages of other nodes are skipped."""
    outcome = Outcome()
    mine = [value for value in values if value[0] in configs]
    if not mine:
        return outcome
    states = store.load_node_states(list({node for node, _, _ in mine}))
    changed: dict[uuid_module.UUID, NodeState] = {}
    n_records, time_window, windows, last_values = [], [], [], []
    for node, payload, at in mine:
        config = configs[node]
        state = states.get(node)
        if state is None:
            state = states[node] = NodeState()
        elif state.last_message_datetime is not None and at < state.last_message_datetime:
            at = state.last_message_datetime  # see the module docstring: never before the stored last value
        decision = pipeline.run(config, payload, state, at)
        if decision.dropped:
            outcome.dropped[decision.dropped] += 1
            continue
        value, policy = decision.value, config.processing_policy
        kind = policy.policy_type
        if kind is ProcessingPolicyType.LAST_VALUE:
            last_values.append(LastValueRow(node, value, at))
        elif kind is ProcessingPolicyType.N_RECORDS:
            n_records.append(NRecordRow(node, value, config.filters.type_input_value, at,
                                        policy.n_records_count, _size(value)))
        elif kind is ProcessingPolicyType.TIME_WINDOW:
            time_window.append(TimeWindowRow(node, value, config.filters.type_input_value, at,
                                             at + timedelta(seconds=policy.time_window_size), _size(value)))
        else:
            start = pipeline.window_start(at, policy.time_window_size)
            windows.append(WindowValue(node, start, start + timedelta(seconds=policy.time_window_size),
                                       policy.time_window_size, policy.aggregation_functions, decision.number))
        state.last_message_datetime, state.last_value = at, value
        changed[node] = state
        outcome.accepted += 1
        outcome.written[kind.value] += 1
    store.add_n_records(n_records)
    store.add_time_window(time_window)
    store.add_to_windows(windows)
    outcome.last_values = store.set_last_values(last_values) or []
    if changed:
        store.save_node_states(changed)
    return outcome


def _size(value: str) -> int:
    return len(value.encode("utf-8"))


def last_value_nodes(configs: dict[uuid_module.UUID, PipeConfig]) -> set[uuid_module.UUID]:
    """Nodes whose state is written by their LastValue pipe, not by the plain last-value flow."""
    return {node for node, config in configs.items()
            if config.processing_policy.policy_type is ProcessingPolicyType.LAST_VALUE}


# -- the leader's jobs (runtime/jobs.py) --------------------------------------------------------------

def close_windows(now: datetime | None = None, store: PipeStore = STORE) -> int:
    """Write every aggregation window that has ended (one row each); returns rows written."""
    written = store.close_windows((now or utcnow()) - CLOSE_GRACE)
    db.session.commit()
    return written


def expire(now: datetime | None = None, store: PipeStore = STORE) -> int:
    """Retention: NRecords beyond each node's N, TimeWindow rows past their expiration.

    N is the node's current NRecords ``n_records_count`` (its stored config, active or not, as the
    readers in ``history.py`` take it), else each row's own ``max_count``.
    """
    deleted = store.expire(now or utcnow(), n_records_counts())
    db.session.commit()
    return deleted


def n_records_counts() -> dict[uuid_module.UUID, int]:
    """The current N of every node that has NRecords rows and an NRecords config."""
    stored = db.session.execute(sa.select(UnitNode.uuid, UnitNode.data_pipe_yml).where(
        UnitNode.uuid.in_(sa.select(DataPipeNRecord.unit_node_uuid).distinct()))).all()
    return {node: n for node, text in stored if (n := n_records_count(text))}
