"""The datasource Grafana's Infinity plugin reads: one linked node's pipe data as ``[{time, value}]``.

Each query of a synced dashboard carries a token (``x-auth-token``) made for one link, i.e. one
node on one panel (datapipe-grafana.md §7.4-7.5). The token names the node, the panel and the
link itself, so it reads that node only, and stops working when the link, its panel or its
dashboard is deleted, or when the owner is blocked; a node put back on the panel gets a new
token (v1.2's token lived as long as any link of the same node and panel, Q24).
"""
from __future__ import annotations

import json
import math
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timezone

import jwt
import sqlalchemy as sa

from ...errors import DataPipeError, NoAccessError
from ...extensions import db, get_settings
from ...models import (
    Dashboard,
    DashboardPanel,
    OrderByDate,
    PanelUnitNode,
    ProcessingPolicyType,
    TypeInputValue,
    UnitNode,
    User,
    UserStatus,
)
from ..agents import decode_token
from ..datapipe.history import PipeDataFilter, read_node
from ..datapipe.pipe_config import PipeConfig, StoredConfigError
from ..datapipe.storage import AggregationRow, LastValueRow
from ..listing import Page
from .feature import require_enabled

TOKEN_TYPE = "GrafanaUnitNode"


def issue_node_token(link: PanelUnitNode, settings) -> str:
    """Deterministic for a link (a re-sync uploads the same dashboard), without expiry like v1.2's."""
    return jwt.encode({"uuid": str(link.unit_node_uuid), "panel_uuid": str(link.dashboard_panels_uuid),
                       "link_uuid": str(link.uuid), "type": TOKEN_TYPE}, settings.PU_SECRET_KEY, "HS256")


@dataclass(frozen=True)
class DatasourceQuery:
    """The Infinity target's query parameters (``format`` is checked by the door: ``timeseries`` only)."""

    start_agg_datetime: datetime | None = None
    end_agg_datetime: datetime | None = None
    start_create_datetime: datetime | None = None
    end_create_datetime: datetime | None = None
    relative_time: str | None = None
    order_by_create_date: OrderByDate = OrderByDate.desc
    offset: int | None = None
    limit: int | None = None


def _uuid(claims: dict, name: str) -> uuid_module.UUID:
    try:
        return uuid_module.UUID(str(claims.get(name)))
    except ValueError:
        raise NoAccessError("Token is invalid") from None


def linked_node(token: str | None) -> tuple[PanelUnitNode, UnitNode]:
    """The link and node a datasource token was made for; 403 for any other token or a revoked link."""
    if not token:
        raise NoAccessError("Token is required")
    claims = decode_token(token, get_settings())
    if claims.get("type") != TOKEN_TYPE:
        raise NoAccessError("Only a GrafanaUnitNode token may read the datasource")
    row = db.session.execute(
        sa.select(PanelUnitNode, UnitNode, User.status)
        .join(UnitNode, UnitNode.uuid == PanelUnitNode.unit_node_uuid)
        .join(DashboardPanel, DashboardPanel.uuid == PanelUnitNode.dashboard_panels_uuid)
        .join(Dashboard, Dashboard.uuid == DashboardPanel.dashboard_uuid)
        .join(User, User.uuid == Dashboard.creator_uuid)
        .where(PanelUnitNode.uuid == _uuid(claims, "link_uuid"),
               PanelUnitNode.unit_node_uuid == _uuid(claims, "uuid"),
               PanelUnitNode.dashboard_panels_uuid == _uuid(claims, "panel_uuid"))).first()
    if row is None:
        raise NoAccessError("This token was revoked: the node is no longer on this panel")
    link, node, owner_status = row
    if owner_status is UserStatus.BLOCKED:
        raise NoAccessError("Agent is blocked or not found")
    return link, node


def node_config(node: UnitNode) -> PipeConfig:
    if not node.is_data_pipe_active:
        raise DataPipeError("Data pipe is not active")
    try:
        return PipeConfig.from_stored(node.data_pipe_yml)
    except StoredConfigError as exc:
        raise DataPipeError(str(exc)) from None


def _epoch_ms(moment: datetime) -> int:
    """Stored times are naive UTC (v1.2 read them in the server's local zone, Q25)."""
    return int(moment.replace(tzinfo=timezone.utc).timestamp() * 1000)


def _time_of(row) -> datetime:
    """Aggregation: the window's end; LastValue: the node's last update; otherwise the row's creation."""
    if isinstance(row, AggregationRow):
        return row.end_window_datetime
    if isinstance(row, LastValueRow):
        return row.last_update_datetime
    return row.create_datetime


def point_value(state, is_forced_to_json: bool, is_number: bool):
    """What Grafana gets for a stored state; a value that cannot be read as asked stays text
    (v1.2 answered 500 for invalid JSON or a non-numeric Number state, Q3)."""
    if isinstance(state, float):
        return state if math.isfinite(state) else str(state)
    if is_forced_to_json:
        try:
            return json.loads(state)
        except (ValueError, TypeError):
            return state
    if is_number:
        try:
            number = float(state)
        except (ValueError, TypeError):
            return state
        return number if math.isfinite(number) else state
    return state


def read_points(link: PanelUnitNode, node: UnitNode, query: DatasourceQuery) -> list[dict]:
    """The node's data under its configured policy, as ``[{"time": <epoch ms>, "value": ...}]``."""
    config = node_config(node)
    policy = config.processing_policy.policy_type
    filters = PipeDataFilter(
        uuid=node.uuid, type=policy, page=Page(offset=query.offset, limit=query.limit),
        start_agg_window_datetime=query.start_agg_datetime, end_agg_window_datetime=query.end_agg_datetime,
        start_create_datetime=query.start_create_datetime, end_create_datetime=query.end_create_datetime,
        relative_time=query.relative_time, order_by_create_date=query.order_by_create_date,
        aggregation_type=[config.processing_policy.aggregation_functions],  # Aggregation only: the configured one
        time_window_size=config.processing_policy.time_window_size if policy is ProcessingPolicyType.AGGREGATION
        else None,
    )
    _, rows = read_node(node, filters)
    is_number = config.filters.type_input_value is TypeInputValue.NUMBER
    return [{"time": _epoch_ms(_time_of(row)), "value": point_value(row.state, link.is_forced_to_json, is_number)}
            for row in rows]


def datasource(token: str | None, query: DatasourceQuery) -> list[dict]:
    """``GET /grafana/datasource/``."""
    require_enabled()
    link, node = linked_node(token)
    return read_points(link, node, query)
