"""What DataPipe stores per node: NRecords, TimeWindow and Aggregation rows (PostgreSQL instead of
ClickHouse, same row shapes), the aggregation windows still open, and each node's filter state.

Open windows and filter state are rows, written in the same transaction as the data they
describe, so a restart or a leader change resumes exactly where the last commit left off.
"""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import enum_type
from .enums import AggregationFunctions, TypeInputValue


def _node_fk(primary_key: bool = False, **kwargs):
    return mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("units_nodes.uuid", ondelete="CASCADE"),
        nullable=False, primary_key=primary_key, index=False, **kwargs,
    )


class _StoredValue:
    """The columns NRecords and TimeWindow rows share; ``sort_order`` keeps them first in both tables
    (reads select ``table.c`` in order), then each table's own columns, ``size`` last."""

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, sort_order=-1)
    unit_node_uuid: Mapped[uuid_module.UUID] = _node_fk(sort_order=-1)
    state: Mapped[str] = mapped_column(sa.Text, nullable=False, sort_order=-1)
    state_type: Mapped[TypeInputValue] = mapped_column(enum_type(TypeInputValue), nullable=False, sort_order=-1)
    create_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, sort_order=-1)


class DataPipeNRecord(_StoredValue, db.Model):
    """One stored value of an NRecords pipe; a read returns at most ``max_count`` newest rows."""

    __tablename__ = "data_pipe_n_records"
    __table_args__ = (sa.Index("ix_data_pipe_n_records_node_time", "unit_node_uuid", "create_datetime", "id"),)

    max_count: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class DataPipeTimeWindowRecord(_StoredValue, db.Model):
    """One stored value of a TimeWindow pipe, readable until ``expiration_datetime``."""

    __tablename__ = "data_pipe_time_window"
    __table_args__ = (
        sa.Index("ix_data_pipe_time_window_node_time", "unit_node_uuid", "create_datetime", "id"),
        sa.Index("ix_data_pipe_time_window_expiration", "expiration_datetime"),
    )

    expiration_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class DataPipeAggregation(db.Model):
    """One closed aggregation window of a node; written once (the unique key refuses a second)."""

    __tablename__ = "data_pipe_aggregations"
    __table_args__ = (
        sa.UniqueConstraint(
            "unit_node_uuid", "start_window_datetime", "time_window_size", "aggregation_type",
            name="uq_data_pipe_aggregations_window",
        ),
        sa.Index("ix_data_pipe_aggregations_node_time", "unit_node_uuid", "create_datetime"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    unit_node_uuid: Mapped[uuid_module.UUID] = _node_fk()
    state: Mapped[float] = mapped_column(sa.Float, nullable=False)
    aggregation_type: Mapped[AggregationFunctions] = mapped_column(enum_type(AggregationFunctions), nullable=False)
    time_window_size: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    create_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    start_window_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    end_window_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)


class DataPipeOpenWindow(db.Model):
    """The running count/sum/min/max of a node's aggregation window that has not closed yet."""

    __tablename__ = "data_pipe_open_windows"
    __table_args__ = (sa.Index("ix_data_pipe_open_windows_end", "end_window_datetime"),)

    unit_node_uuid: Mapped[uuid_module.UUID] = _node_fk(primary_key=True)
    start_window_datetime: Mapped[datetime] = mapped_column(sa.DateTime, primary_key=True)
    time_window_size: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    aggregation_type: Mapped[AggregationFunctions] = mapped_column(
        enum_type(AggregationFunctions), primary_key=True
    )
    end_window_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sum: Mapped[float] = mapped_column(sa.Float, nullable=False)
    min: Mapped[float] = mapped_column(sa.Float, nullable=False)
    max: Mapped[float] = mapped_column(sa.Float, nullable=False)


class DataPipeNodeState(db.Model):
    """A node's filter state (``max_rate``, ``last_unique_check``): last accepted time and value."""

    __tablename__ = "data_pipe_node_state"

    unit_node_uuid: Mapped[uuid_module.UUID] = _node_fk(primary_key=True)
    last_message_datetime: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    last_value: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
