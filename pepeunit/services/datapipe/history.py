"""A node's stored pipe history for users and units: read it and delete it (CSV export and import:
``history_csv``; both share the access rules below).

Every call checks, in v1.2's order: the ``PU_FF_DATAPIPE_ENABLE`` flag, the agent type, that the
node exists, then ownership. Reading (and exporting) is for the node's creator or a Unit that may
see the node under the usual visibility rules (v1.2 let any Unit read any node, Q15); replacing
and deleting are for the creator only.
"""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from dateutil.relativedelta import relativedelta

from ...errors import DataPipeError
from ...extensions import db
from ...models import (
    AgentType,
    AggregationFunctions,
    OrderByDate,
    ProcessingPolicyType,
    UnitNode,
)
from ...models.columns import utcnow
from .. import access
from ..agents import Agent
from ..listing import Page
from ..lookup import get_or_not_found
from .configs import require_enabled
from .pipe_config import PipeConfig, StoredConfigError, n_records_count, stored_policy
from .postgres_store import STORE
from .storage import LastValueRow, PipeQuery


# --- access ------------------------------------------------------------------------------------
def node_for_reader(agent: Agent, node_uuid) -> UnitNode:
    """The node, if ``agent`` is its creator, or a Unit allowed to see it (Private: its own, or permitted)."""
    require_enabled()
    access.require(agent, AgentType.USER, AgentType.UNIT)
    node = get_or_not_found(UnitNode, node_uuid)
    if agent.type is AgentType.UNIT:
        access.require_visible(agent, node)
    else:
        access.require_creator(agent, node)
    return node


def node_for_creator(agent: Agent, node_uuid) -> UnitNode:
    require_enabled()
    access.require_user(agent)
    node = get_or_not_found(UnitNode, node_uuid)
    access.require_creator(agent, node)
    return node


def runnable_config(node: UnitNode) -> PipeConfig:
    """The node's pipe config for export and import: active, filled, valid and not LastValue (v1.2)."""
    if not node.is_data_pipe_active:
        raise DataPipeError("Data pipe is not active")
    try:
        config = PipeConfig.from_stored(node.data_pipe_yml)
    except StoredConfigError as exc:
        raise DataPipeError(str(exc)) from None
    if config.processing_policy.policy_type is ProcessingPolicyType.LAST_VALUE:
        raise DataPipeError("LastValue type is not supported on this function")
    return config


# --- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipeDataFilter:
    """``getPipeData`` / ``get_data_pipe_data/`` filters: the node's ``uuid`` and what to read of it."""

    uuid: uuid_module.UUID
    type: ProcessingPolicyType
    page: Page = Page()
    search_string: str | None = None
    aggregation_type: list | None = field(default_factory=lambda: list(AggregationFunctions))
    time_window_size: int | None = None
    start_agg_window_datetime: datetime | None = None
    end_agg_window_datetime: datetime | None = None
    start_create_datetime: datetime | None = None
    end_create_datetime: datetime | None = None
    relative_time: str | None = None
    order_by_create_date: OrderByDate | None = OrderByDate.desc


_INTERVAL_UNITS = {
    "s": lambda n: timedelta(seconds=n),
    "m": lambda n: timedelta(minutes=n),
    "h": lambda n: timedelta(hours=n),
    "d": lambda n: timedelta(days=n),
    "M": lambda n: relativedelta(months=n),
    "y": lambda n: relativedelta(years=n),
}


def parse_interval(text: str) -> timedelta | relativedelta:
    """v1.2's ``relative_time``: ``<int><unit>``, unit one of s m h d M y (M months, y years; negative allowed).

    v1.2 let a bad value escape as a 500 (Q13); here it is a 422 naming the value.
    """
    unit = text[-1:] if text else ""
    if unit not in _INTERVAL_UNITS:
        raise DataPipeError(f"Unknown interval: {text}, expected <int><unit> with unit one of s, m, h, d, M, y")
    try:
        return _INTERVAL_UNITS[unit](int(text[:-1]))
    except (ValueError, OverflowError):
        raise DataPipeError(f"Invalid interval number: {text}, expected <int><unit>") from None


def _relative_start(text: str, now: datetime) -> datetime:
    try:
        return now - parse_interval(text)
    except (ValueError, OverflowError):  # the interval reaches outside the calendar
        raise DataPipeError(f"Invalid interval number: {text}, out of range") from None


def naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _latest(*moments):
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def read(agent: Agent, filters: PipeDataFilter) -> tuple[int, list]:
    """``(count, rows)``: count of matching rows before paging; rows are the storage row dataclasses.

    LastValue reads the node's own ``state`` (all other filters ignored, v1.2); a node without
    a value gives ``(0, [])`` (v1.2 crashed on it, Q11).
    """
    return read_node(node_for_reader(agent, filters.uuid), filters)


def read_node(node: UnitNode, filters: PipeDataFilter) -> tuple[int, list]:
    """``read`` for a caller already allowed to read ``node`` (also the Grafana datasource's reader)."""
    page = filters.page.check()
    if filters.type is ProcessingPolicyType.LAST_VALUE:
        if node.state is None:
            return 0, []
        return 1, [LastValueRow(node.uuid, node.state, node.last_update_datetime)]
    now = utcnow()
    start_create = naive_utc(filters.start_create_datetime)
    if filters.relative_time:  # "" is no bound, like an absent value
        start_create = _latest(start_create, _relative_start(filters.relative_time, now))
    query = PipeQuery(
        type=filters.type,
        search_string=filters.search_string,
        aggregation_types=tuple(filters.aggregation_type or ()),
        time_window_size=filters.time_window_size,
        start_agg_window_datetime=naive_utc(filters.start_agg_window_datetime),
        end_agg_window_datetime=naive_utc(filters.end_agg_window_datetime),
        start_create_datetime=start_create,
        end_create_datetime=naive_utc(filters.end_create_datetime),
        order_by_create_date=filters.order_by_create_date or OrderByDate.desc,
        offset=page.offset or 0,
        limit=page.limit or 0,
        n_records_count=n_records_count(node.data_pipe_yml),
        now=now,
    )
    return STORE.read(node.uuid, query)


# --- delete ------------------------------------------------------------------------------------
def delete(agent: Agent, node_uuid) -> None:
    """All the node's history, its open aggregation windows and its filter state.

    A LastValue pipe's data is the node's ``state``: it is cleared too, so a delete empties what
    ``getPipeData`` shows for the node's policy (v1.2 left it, Q27).
    """
    node = node_for_creator(agent, node_uuid)
    STORE.delete(node.uuid)
    policy = stored_policy(node.data_pipe_yml)
    if policy is not None and policy.policy_type is ProcessingPolicyType.LAST_VALUE:
        node.state = None
    db.session.commit()
