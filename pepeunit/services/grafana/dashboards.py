"""Dashboards, their panels, and the unit nodes each panel shows (head-api §1.3.9, §3.9).

Everything here belongs to one user: dashboards are listed for their creator only, panels are
added by the dashboard's creator, and a node may be put on a panel by whoever created both.
Panels and their nodes come back in the order they were added (v1.2 had no order, Q22).
"""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ...errors import GrafanaError, not_found
from ...extensions import db, get_settings
from ...models import Dashboard, DashboardPanel, DashboardPanelTypeEnum, OrderByDate, PanelUnitNode, Unit, UnitNode
from .. import access
from ..agents import Agent
from ..listing import Page, fetch_page, order, search
from ..lookup import get_or_not_found
from ..rules import is_valid_name
from .feature import require_enabled


@dataclass(frozen=True)
class PanelNode:
    """A node on a panel, as v1.2 shows it."""

    link: PanelUnitNode
    unit_node: UnitNode
    unit_with_unit_node_name: str

    @property
    def is_last_data(self) -> bool:
        return self.link.is_last_data

    @property
    def is_forced_to_json(self) -> bool:
        return self.link.is_forced_to_json


@dataclass(frozen=True)
class PanelView:
    panel: DashboardPanel
    unit_nodes_for_panel: list[PanelNode] = field(default_factory=list)

    def __getattr__(self, name):  # uuid, type, title, create_datetime, creator_uuid, dashboard_uuid
        return getattr(self.panel, name)


@dataclass(frozen=True)
class DashboardFilter:
    page: Page = field(default_factory=Page)
    search_string: str | None = None
    order_by_create_date: OrderByDate | None = OrderByDate.desc


def _user(agent: Agent) -> None:
    require_enabled()
    access.require_user(agent)


def own_dashboard(agent: Agent, uuid, lock: bool = False) -> Dashboard:
    _user(agent)
    dashboard = get_or_not_found(Dashboard, uuid, lock=lock)
    access.require_creator(agent, dashboard)
    return dashboard


# --- dashboards ------------------------------------------------------------------------------
def create_dashboard(agent: Agent, name: str) -> Dashboard:
    _user(agent)
    if not is_valid_name(name):
        raise GrafanaError("Name is not correct")
    dashboard = Dashboard(name=name, creator_uuid=agent.uuid)
    db.session.add(dashboard)
    db.session.commit()
    return dashboard


def get_dashboard(agent: Agent, uuid) -> Dashboard:
    return own_dashboard(agent, uuid)


def list_dashboards(agent: Agent, filters: DashboardFilter) -> tuple[int, list[Dashboard]]:
    _user(agent)
    query = sa.select(Dashboard).where(Dashboard.creator_uuid == agent.uuid)
    query = search(query, filters.search_string, [Dashboard.name])
    query = order(query, (Dashboard.create_datetime, filters.order_by_create_date or OrderByDate.desc))
    return fetch_page(query, filters.page, Dashboard.uuid)


def delete_dashboard(agent: Agent, uuid) -> None:
    """Its panels and their links go with it, so every datasource token made for it stops working."""
    db.session.delete(own_dashboard(agent, uuid))
    db.session.commit()


# --- panels ------------------------------------------------------------------------------------
def create_panel(agent: Agent, dashboard_uuid, title: str, type: DashboardPanelTypeEnum) -> PanelView:
    dashboard = own_dashboard(agent, dashboard_uuid)
    if not is_valid_name(title):
        raise GrafanaError("Title is not correct")
    panel = DashboardPanel(title=title, type=DashboardPanelTypeEnum(type), creator_uuid=agent.uuid,
                           dashboard_uuid=dashboard.uuid)
    db.session.add(panel)
    db.session.commit()
    return PanelView(panel)


def panel_views(dashboard_uuid) -> list[PanelView]:
    """The dashboard's panels with their nodes, both in the order they were added."""
    panels = db.session.execute(
        sa.select(DashboardPanel).where(DashboardPanel.dashboard_uuid == dashboard_uuid)
        .order_by(DashboardPanel.create_datetime, DashboardPanel.uuid)).scalars().all()
    rows = db.session.execute(
        sa.select(PanelUnitNode, UnitNode, Unit.name)
        .join(UnitNode, UnitNode.uuid == PanelUnitNode.unit_node_uuid)
        .join(Unit, Unit.uuid == UnitNode.unit_uuid)
        .where(PanelUnitNode.dashboard_panels_uuid.in_([p.uuid for p in panels]))
        .order_by(PanelUnitNode.create_datetime, PanelUnitNode.uuid)).all()
    nodes: dict[uuid_module.UUID, list[PanelNode]] = {p.uuid: [] for p in panels}
    for link, node, unit_name in rows:
        nodes[link.dashboard_panels_uuid].append(PanelNode(link, node, f"{unit_name}@{node.topic_name}"))
    return [PanelView(p, nodes[p.uuid]) for p in panels]


def get_panels(agent: Agent, dashboard_uuid) -> tuple[int, list[PanelView]]:
    dashboard = own_dashboard(agent, dashboard_uuid)
    views = panel_views(dashboard.uuid)
    return len(views), views


def _own_panel(agent: Agent, uuid, lock: bool = False) -> DashboardPanel:
    _user(agent)
    panel = get_or_not_found(DashboardPanel, uuid, lock=lock)
    access.require_creator(agent, panel)
    return panel


def delete_panel(agent: Agent, uuid) -> None:
    db.session.delete(_own_panel(agent, uuid))
    db.session.commit()


# --- nodes on panels ---------------------------------------------------------------------------
def _own_node(agent: Agent, uuid) -> UnitNode:
    node = get_or_not_found(UnitNode, uuid)
    access.require_creator(agent, node)
    return node


def link_node(agent: Agent, unit_node_uuid, dashboard_panels_uuid, is_last_data: bool,
              is_forced_to_json: bool) -> PanelNode:
    """Put the caller's node on the caller's panel: once per panel, at most the configured number of nodes."""
    panel = _own_panel(agent, dashboard_panels_uuid, lock=True)  # the lock serialises the limit check
    node = _own_node(agent, unit_node_uuid)
    links = db.session.execute(sa.select(PanelUnitNode.unit_node_uuid).where(
        PanelUnitNode.dashboard_panels_uuid == panel.uuid)).scalars().all()
    if node.uuid in links:
        raise GrafanaError("This UnitNode is not unique for this Panel")
    limit = get_settings().PU_GRAFANA_LIMIT_UNIT_NODE_PER_ONE_PANEL
    if len(links) >= limit:
        raise GrafanaError(f"Limit UnitNode for one panel is {limit}")
    link = PanelUnitNode(unit_node_uuid=node.uuid, dashboard_panels_uuid=panel.uuid,
                         is_last_data=bool(is_last_data), is_forced_to_json=bool(is_forced_to_json))
    db.session.add(link)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise GrafanaError("This UnitNode is not unique for this Panel") from None
    unit_name = db.session.execute(sa.select(Unit.name).where(Unit.uuid == node.unit_uuid)).scalar_one()
    return PanelNode(link, node, f"{unit_name}@{node.topic_name}")


def delete_link(agent: Agent, unit_node_uuid, dashboard_panel_uuid) -> None:
    """Take the node off the panel; the datasource token made for this link stops working at once."""
    panel = _own_panel(agent, dashboard_panel_uuid)
    _own_node(agent, unit_node_uuid)
    link = db.session.execute(sa.select(PanelUnitNode).where(
        PanelUnitNode.unit_node_uuid == unit_node_uuid,
        PanelUnitNode.dashboard_panels_uuid == panel.uuid)).scalar_one_or_none()
    if link is None:
        raise not_found()
    db.session.delete(link)
    db.session.commit()

