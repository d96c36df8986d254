"""Unit nodes: one per ``input_topic``/``output_topic`` name of a unit's schema.

Nodes follow the unit's target version (``sync_nodes``); users read, tune and
list them; an Input node's value can be set, which publishes it to the node's
topic. Edges live in ``unit_node_edges``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..broker import publisher, topics
from ..errors import DataPipeError, MqttError, UnitNodeError
from ..extensions import db, get_settings
from ..models import (
    AgentType,
    OrderByDate,
    PermissionEntities,
    Unit,
    UnitNode,
    UnitNodeEdge,
    UnitNodeTypeEnum,
    VisibilityLevel,
)
from ..models.columns import INTEGER_MAX, utcnow
from . import access, acl_generation
from .agents import Agent
from .auto_permissions import grant
from .datapipe import configs as data_pipe_configs
from .listing import Page, fetch_page, in_enum, order, search
from .lookup import get_or_not_found
from .unit_schema import node_names


# --- following the schema ------------------------------------------------------
def sync_nodes(unit: Unit, schema: dict) -> bool:
    """Create the nodes ``schema`` names and delete the others (their edges go too).

    Serialised per unit with a transaction-scoped advisory lock; the caller commits.
    Returns whether anything changed.
    """
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(f"unit-nodes:{unit.uuid}"))))
    wanted = node_names(schema)
    existing = list(db.session.execute(sa.select(UnitNode).where(UnitNode.unit_uuid == unit.uuid)).scalars())
    have = {(n.type, n.topic_name): n for n in existing}
    changed = False
    for key, node in have.items():
        if key not in wanted:
            data_pipe_configs.node_removed(node)
            db.session.delete(node)
            changed = True
    for kind, name in sorted(wanted - set(have), key=lambda pair: (pair[0].value, pair[1])):
        node = UnitNode(type=kind, topic_name=name, visibility_level=unit.visibility_level,
                        unit_uuid=unit.uuid, creator_uuid=unit.creator_uuid)
        data_pipe_configs.give_default_pipe(node)
        db.session.add(node)
        db.session.flush()
        grant(PermissionEntities.UNIT, unit.uuid, PermissionEntities.UNIT_NODE, node.uuid)
        grant(PermissionEntities.USER, unit.creator_uuid, PermissionEntities.UNIT_NODE, node.uuid)
        changed = True
    db.session.flush()
    return changed


def lift_visibility(unit: Unit) -> bool:
    """Nodes never stay less restrictive than their unit."""
    lower = [v for v in VisibilityLevel if v.rank < unit.visibility_level.rank]
    if not lower:
        return False
    result = db.session.execute(
        sa.update(UnitNode)
        .where(UnitNode.unit_uuid == unit.uuid, UnitNode.visibility_level.in_(lower))
        .values(visibility_level=unit.visibility_level)
    )
    return result.rowcount > 0


# --- reading ---------------------------------------------------------------------
def get(agent: Agent, uuid) -> UnitNode:
    access.require(agent, *access.ANY_AGENT)
    node = get_or_not_found(UnitNode, uuid)
    access.require_visible(agent, node)
    return node


@dataclass
class UnitNodeFilter:
    page: Page = field(default_factory=Page)
    uuids: list | None = None
    unit_uuid: object = None
    search_string: str | None = None
    type: list | None = field(default_factory=lambda: list(UnitNodeTypeEnum))
    visibility_level: list | None = field(default_factory=lambda: list(VisibilityLevel))
    order_by_create_date: OrderByDate | None = OrderByDate.desc
    output_uuid: object = None


def visible_nodes(agent: Agent, levels=None):
    """SQL condition: the nodes ``agent`` may see (optionally limited to ``levels``)."""
    levels = list(VisibilityLevel) if levels is None else levels
    return access.visibility_clause(agent, UnitNode, PermissionEntities.UNIT_NODE, levels)


def list_(agent: Agent, filters: UnitNodeFilter) -> tuple[int, list[UnitNode]]:
    access.require(agent, *access.ANY_AGENT)
    query = sa.select(UnitNode).where(
        in_enum(UnitNode.type, filters.type), visible_nodes(agent, filters.visibility_level)
    )
    if filters.uuids:
        query = query.where(UnitNode.uuid.in_(filters.uuids))
    if filters.unit_uuid is not None:
        query = query.where(UnitNode.unit_uuid == filters.unit_uuid)
    if filters.output_uuid is not None:
        linked = sa.select(UnitNodeEdge.node_input_uuid).where(UnitNodeEdge.node_output_uuid == filters.output_uuid)
        query = query.where(UnitNode.type == UnitNodeTypeEnum.INPUT, UnitNode.uuid.in_(linked))
    query = search(query, filters.search_string, [UnitNode.topic_name])
    query = order(query, (UnitNode.create_datetime, filters.order_by_create_date))
    return fetch_page(query, filters.page, UnitNode.uuid)


# --- changing --------------------------------------------------------------------
@dataclass
class UnitNodeUpdate:
    visibility_level: VisibilityLevel | None = None
    is_rewritable_input: bool | None = None
    is_data_pipe_active: bool | None = None
    max_connections: int | None = None


def update(agent: Agent, uuid, data: UnitNodeUpdate) -> UnitNode:
    access.require_user(agent)
    node = get_or_not_found(UnitNode, uuid)
    access.require_creator(agent, node)
    if data.is_data_pipe_active and not node.topic_name.endswith(topics.SUFFIX):
        raise DataPipeError("DataPipe cannot be activated if the topic does not have the suffix /pepeunit")
    if data.is_rewritable_input is not None and node.type is not UnitNodeTypeEnum.INPUT:
        raise UnitNodeError(f"This Node {node.uuid} is not Input")
    if data.max_connections is not None and data.max_connections < 1:
        raise UnitNodeError("max_connections must be at least 1")
    if data.max_connections is not None and data.max_connections > INTEGER_MAX:
        raise UnitNodeError(f"max_connections must be at most {INTEGER_MAX}")
    visibility_changed = False
    if data.visibility_level is not None:
        access.visibility_not_below(db.session.get(Unit, node.unit_uuid), data.visibility_level, "Unit", "UnitNode")
        visibility_changed = data.visibility_level is not node.visibility_level
        node.visibility_level = data.visibility_level
    for name in ("is_rewritable_input", "is_data_pipe_active", "max_connections"):
        value = getattr(data, name)
        if value is not None:
            setattr(node, name, value)
    if data.is_data_pipe_active is not None:
        data_pipe_configs.activation_changed(node)
    db.session.commit()
    if visibility_changed:
        acl_generation.bump()
    return node


def set_state_input(agent: Agent, uuid, state: str | None) -> UnitNode:
    """Publish ``state`` to an Input node's topic, then keep it as the node's value."""
    access.require(agent, AgentType.USER, AgentType.UNIT)
    node = get_or_not_found(UnitNode, uuid)
    if node.type is not UnitNodeTypeEnum.INPUT:
        raise UnitNodeError(f"This Node {node.uuid} is not Input")
    access.require_input_writer(agent, node)
    settings = get_settings()
    payload = state or ""
    limit = settings.PU_MQTT_MAX_PAYLOAD_SIZE
    if len(payload.encode("utf-8")) > limit * 1024:
        raise MqttError(f"Payload size is {len(payload.encode('utf-8'))}, limit is {limit} KB")
    publisher.publish(settings, topics.node_topic(settings.PU_DOMAIN, node.uuid, node.topic_name), payload)
    node.state = state
    node.last_update_datetime = utcnow()
    db.session.commit()
    return node
