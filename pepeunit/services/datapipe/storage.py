"""The one small interface between DataPipe and where its history lives.

The pipeline (``ingest.py``) and the readers (``history.py``) talk to a ``PipeStore`` only, so a
columnar store can be added later without touching them. ``postgres_store.PostgresPipeStore``
is the one we ship: every write joins the caller's database transaction (the consumer commits a
batch, its node states and its open windows together, then acknowledges the messages).

All datetimes here are naive UTC, like every timestamp column of this backend.
"""
from __future__ import annotations

import abc
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime

from ...models.enums import AggregationFunctions, OrderByDate, ProcessingPolicyType, TypeInputValue


@dataclass(frozen=True)
class NRecordRow:
    unit_node_uuid: uuid_module.UUID
    state: str
    state_type: TypeInputValue
    create_datetime: datetime
    max_count: int
    size: int


@dataclass(frozen=True)
class TimeWindowRow:
    unit_node_uuid: uuid_module.UUID
    state: str
    state_type: TypeInputValue
    create_datetime: datetime
    expiration_datetime: datetime
    size: int


@dataclass(frozen=True)
class AggregationRow:
    unit_node_uuid: uuid_module.UUID
    state: float
    aggregation_type: AggregationFunctions
    time_window_size: int
    create_datetime: datetime
    start_window_datetime: datetime
    end_window_datetime: datetime


@dataclass(frozen=True)
class LastValueRow:
    unit_node_uuid: uuid_module.UUID
    state: str
    last_update_datetime: datetime


@dataclass(frozen=True)
class WindowValue:
    """One accepted number added to the node's open aggregation window ``[start, end)``."""

    unit_node_uuid: uuid_module.UUID
    start_window_datetime: datetime
    end_window_datetime: datetime
    time_window_size: int
    aggregation_type: AggregationFunctions
    value: float


@dataclass
class NodeState:
    """What ``max_rate`` and ``last_unique_check`` compare against: the last accepted message."""

    last_message_datetime: datetime | None = None
    last_value: str = ""


@dataclass(frozen=True)
class PipeQuery:
    """A read of one node's history (v1.2's ``getPipeData`` filters, already validated)."""

    type: ProcessingPolicyType
    search_string: str | None = None
    aggregation_types: tuple[AggregationFunctions, ...] = tuple(AggregationFunctions)
    time_window_size: int | None = None
    start_agg_window_datetime: datetime | None = None
    end_agg_window_datetime: datetime | None = None
    start_create_datetime: datetime | None = None  # relative_time is folded in here by the caller
    end_create_datetime: datetime | None = None
    order_by_create_date: OrderByDate = OrderByDate.desc
    offset: int = 0
    limit: int = 0  # 0: no limit
    # Retention as the reader sees it: NRecords keeps the newest ``n_records_count`` rows.
    n_records_count: int | None = None
    now: datetime | None = None  # TimeWindow rows with expiration_datetime <= now are never returned


class PipeStore(abc.ABC):
    """Where pipe history is kept. Writes join the caller's transaction; the caller commits."""

    # -- written by the pipeline (one consumer batch) --------------------------------------------
    @abc.abstractmethod
    def load_node_states(self, node_uuids: list[uuid_module.UUID]) -> dict[uuid_module.UUID, NodeState]:
        """The stored filter state of these nodes (missing ones are absent from the result)."""

    @abc.abstractmethod
    def save_node_states(self, states: dict[uuid_module.UUID, NodeState]) -> None:
        """Upsert the filter state of these nodes."""

    @abc.abstractmethod
    def add_n_records(self, rows: list[NRecordRow]) -> None: ...

    @abc.abstractmethod
    def add_time_window(self, rows: list[TimeWindowRow]) -> None: ...

    @abc.abstractmethod
    def add_to_windows(self, values: list[WindowValue]) -> None:
        """Fold numbers into their open aggregation windows (count, sum, min, max)."""

    @abc.abstractmethod
    def close_windows(self, now: datetime) -> int:
        """Write every open window whose end is <= ``now`` as one aggregation row; returns how many."""

    @abc.abstractmethod
    def set_last_values(self, rows: list[LastValueRow]) -> None:
        """LastValue pipes: the node's ``state`` and ``last_update_datetime``."""

    @abc.abstractmethod
    def expire(self, now: datetime) -> int:
        """Delete rows past retention (NRecords beyond N, expired TimeWindow rows); returns how many."""

    # -- read and replaced by users (history.py) -------------------------------------------------
    @abc.abstractmethod
    def read(self, node_uuid: uuid_module.UUID, query: PipeQuery) -> tuple[int, list]:
        """``(count, rows)`` of one node: rows are NRecordRow, TimeWindowRow or AggregationRow."""

    @abc.abstractmethod
    def rows_for_export(self, node_uuid: uuid_module.UUID, policy: ProcessingPolicyType,
                        n_records_count: int | None, now: datetime) -> list:
        """Every readable row of the node for ``policy``, oldest first."""

    @abc.abstractmethod
    def replace(self, node_uuid: uuid_module.UUID, rows: list) -> None:
        """Delete all the node's history and insert ``rows`` instead (atomic with the caller's commit)."""

    @abc.abstractmethod
    def delete(self, node_uuid: uuid_module.UUID) -> None:
        """Delete all the node's history, open windows and filter state."""
