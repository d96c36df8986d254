"""A batch of unit reports received over MQTT, written in one transaction.

The MQTT door parses each message into a ``ReportBatch``; ``store`` writes the whole
batch with one statement per kind (``unit_reports``, ``unit_logs``), commits, and only
then mirrors node values into Redis (a cache: a failure there never fails nor repeats the
batch, see ``unit_reports.mirror_node_values``). The door acknowledges the messages after ``store``
returns, so a crash before the commit means redelivery, not loss; the keys of the batch's messages
are committed with it (``mqtt_deliveries``), so a redelivery after the commit is not stored twice.

Node values also go through the nodes' DataPipe pipes (``datapipe.ingest``) in the same
transaction. A node whose pipe is LastValue gets its ``state`` from the pipe only (filtered and
transformed); every other node keeps the plain flow (newest value of the batch, Output nodes).
With ``PU_FF_DATAPIPE_ENABLE`` off no pipe runs.

A batch written by an elected leader carries its ``fence`` (lease name, generation): the
transaction first takes an advisory lock on the lease name and checks the ``leader_fence`` row,
storing the generation when it is not older than the stored one. A deposed leader's batch
(older generation) raises ``Deposed`` and writes nothing; its messages stay unacknowledged and
go to the real leader.

A batch of a shared-mode consumer (one of many, ``PU_MQTT_CONSUMER_MODE=shared``) carries its
``delivery`` (client id, [(packet id, digest)]) instead: the transaction first locks the rows of
the batch's units and nodes in uuid order (``FOR NO KEY UPDATE``; after the log rows are inserted,
so the locks are held only for the short updates and the commit), so two consumers holding
reports of the same unit or node run one after the other -- the update status machine and the
DataPipe filter state (``max_rate``, ``last_unique_check``, read in the transaction) see each
other's commits -- and never deadlock; then it records the delivery keys with the batch
(``mqtt_deliveries``), so a redelivered message is not written twice.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db, get_settings
from . import mqtt_deliveries, unit_logs, unit_reports
from .datapipe import cache as pipe_configs
from .datapipe import ingest


@dataclass
class ReportBatch:
    states: list = field(default_factory=list)  # unit_reports.StateReport
    logs: list = field(default_factory=list)  # unit_logs.LogEntry
    log_units: dict = field(default_factory=dict)  # unit uuid -> last log receipt
    node_values: dict = field(default_factory=dict)  # node uuid -> (value, time)
    pipe_values: list = field(default_factory=list)  # (node uuid, value, time) of every /pepeunit node message

    def __bool__(self) -> bool:
        return bool(self.states or self.logs or self.node_values or self.pipe_values)

    def one_by_one(self) -> list[ReportBatch]:
        """One batch per report, to store what can be stored when the whole batch cannot."""
        pieces = [ReportBatch(states=[s]) for s in self.states]
        pieces += [ReportBatch(logs=[e], log_units={e.unit_uuid: e.create_datetime}) for e in self.logs]
        pieces += [ReportBatch(node_values={node: value}) for node, value in self.node_values.items()]
        pieces += [ReportBatch(pipe_values=[value]) for value in self.pipe_values]
        return pieces


@dataclass(frozen=True)
class Stored:
    states: int  # units whose state was updated
    log_rows: int
    node_values: int  # Output nodes whose value was written
    pipes: ingest.Outcome = field(default_factory=ingest.Outcome)


class Deposed(Exception):
    """A newer leadership has written already: this writer is no longer the leader."""


_FENCE = sa.text(
    "INSERT INTO leader_fence (name, generation) VALUES (:name, :generation) "
    "ON CONFLICT (name) DO UPDATE SET generation = EXCLUDED.generation "
    "WHERE leader_fence.generation <= EXCLUDED.generation RETURNING generation"
)


def check_fence(fence: tuple[str, int]) -> None:
    """In the current transaction: refuse (``Deposed``) unless ``fence``'s generation is the newest seen."""
    name, generation = fence
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(zlib.crc32(f"leader_fence:{name}".encode()))))
    if db.session.execute(_FENCE, {"name": name, "generation": generation}).first() is None:
        raise Deposed(f"lease {name}: generation {generation} is older than the stored one")


_LOCK_UNITS = sa.text(
    "SELECT 1 FROM units WHERE uuid = ANY(CAST(:ids AS uuid[])) ORDER BY uuid FOR NO KEY UPDATE")
_LOCK_NODES = sa.text(
    "SELECT 1 FROM units_nodes WHERE uuid = ANY(CAST(:ids AS uuid[])) ORDER BY uuid FOR NO KEY UPDATE")


def lock_rows(batch: ReportBatch) -> None:
    """In the current transaction: lock the batch's units, then its nodes, each in uuid order.

    The log insert before it takes only KEY SHARE locks (foreign keys), which these do not block."""
    units = sorted({str(s.unit_uuid) for s in batch.states} | {str(u) for u in batch.log_units})
    nodes = sorted({str(n) for n, _, _ in batch.pipe_values} | {str(n) for n in batch.node_values})
    if units:
        db.session.execute(_LOCK_UNITS, {"ids": units})
    if nodes:
        db.session.execute(_LOCK_NODES, {"ids": nodes})


def store(batch: ReportBatch, fence: tuple[str, int] | None = None,
          delivery: tuple[str, list[tuple[int, int]]] | None = None) -> Stored:
    """Write a batch in one transaction (rolled back on any error); Redis mirrors only after the commit.

    With a ``fence`` (lease name, generation) the batch commits only if no newer generation
    has written (``Deposed`` otherwise, nothing written); without one (shared mode) the batch's
    unit and node rows are locked first. A ``delivery`` (client id, [(packet id, digest)]) is
    committed with the batch."""
    nodes = {node for node, _, _ in batch.pipe_values} | set(batch.node_values)
    configs = pipe_configs.configs_for(nodes) if nodes and get_settings().PU_FF_DATAPIPE_ENABLE else {}
    piped = ingest.last_value_nodes(configs)
    plain = {node: value for node, value in batch.node_values.items() if node not in piped}
    try:
        if fence is not None:
            check_fence(fence)
        rows = unit_logs.store(batch.logs)  # before the row locks: inserts need no lock another batch holds
        if delivery is not None:
            mqtt_deliveries.record(*delivery)
        if fence is None:  # one of several shared-mode consumers: serialise the batches per unit and node
            lock_rows(batch)
        states = unit_reports.apply_states(batch.states)
        unit_reports.touch_units(batch.log_units)
        written = unit_reports.store_node_values(plain)
        pipes = ingest.apply(batch.pipe_values, configs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    unit_reports.mirror_node_values(written + pipes.last_values)
    return Stored(states, rows, len(written), pipes)
