"""Edges: an Output node's value delivered to an Input node.

Creating one checks types, visibility, ownership of the receiving Input node
and both ends' ``max_connections``; it grants the two units access to each
other's ends and tells the input's unit to reload its schema (SchemaUpdate).
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..errors import NoAccessError, PepeunitError, UnitNodeError, not_found
from ..extensions import db
from ..models import BackendTopicCommand, PermissionEntities, Unit, UnitNode, UnitNodeEdge, UnitNodeTypeEnum
from . import access, acl_generation
from .agents import Agent
from .auto_permissions import grant, revoke
from .lookup import get_or_not_found
from .unit_commands import command_to_unit

log = logging.getLogger(__name__)


def _node(uuid, kind: UnitNodeTypeEnum, agent: Agent, lock: bool = False) -> UnitNode:
    node = get_or_not_found(UnitNode, uuid, lock=lock)
    if node.type is not kind:
        raise UnitNodeError(f"This Node {node.uuid} is not {kind.value}")
    access.require_visible(agent, node)
    return node


def _count(column, uuid) -> int:
    return db.session.execute(sa.select(sa.func.count()).where(column == uuid)).scalar_one()


def _schema_update(unit_uuid) -> None:
    unit = db.session.get(Unit, unit_uuid)
    try:
        command_to_unit(unit, BackendTopicCommand.SCHEMA_UPDATE)
    except PepeunitError as error:
        log.info("SchemaUpdate to unit %s not sent: %s", unit_uuid, error)


def create_edge(agent: Agent, node_output_uuid, node_input_uuid) -> UnitNodeEdge:
    access.require_user(agent)
    try:
        # Lock both ends (in a fixed order) so concurrent edges cannot overrun max_connections.
        first, second = sorted([node_output_uuid, node_input_uuid], key=str)
        db.session.execute(sa.select(UnitNode.uuid).where(UnitNode.uuid.in_([first, second]))
                           .order_by(UnitNode.uuid).with_for_update())
        output = _node(node_output_uuid, UnitNodeTypeEnum.OUTPUT, agent)
        input_ = _node(node_input_uuid, UnitNodeTypeEnum.INPUT, agent)
        access.require_creator(agent, input_)
        incoming = _count(UnitNodeEdge.node_input_uuid, input_.uuid)
        if incoming >= input_.max_connections:
            raise UnitNodeError(
                f"Maximum number of incoming connections ({input_.max_connections}) reached for input node {input_.uuid}")
        outgoing = _count(UnitNodeEdge.node_output_uuid, output.uuid)
        if outgoing >= output.max_connections:
            raise UnitNodeError(
                f"Maximum number of outgoing connections ({output.max_connections}) reached for output node {output.uuid}")
        exists = db.session.execute(sa.select(UnitNodeEdge.uuid).where(
            UnitNodeEdge.node_output_uuid == output.uuid, UnitNodeEdge.node_input_uuid == input_.uuid)).first()
        if exists:
            raise UnitNodeError("Edge exist")
        grant(PermissionEntities.UNIT, output.unit_uuid, PermissionEntities.UNIT_NODE, input_.uuid)
        grant(PermissionEntities.UNIT, input_.unit_uuid, PermissionEntities.UNIT_NODE, output.uuid)
        grant(PermissionEntities.UNIT, output.unit_uuid, PermissionEntities.UNIT, input_.unit_uuid)
        edge = UnitNodeEdge(node_output_uuid=output.uuid, node_input_uuid=input_.uuid, creator_uuid=agent.uuid)
        db.session.add(edge)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise UnitNodeError("Edge exist") from None
    except Exception:
        db.session.rollback()
        raise
    acl_generation.bump()
    _schema_update(input_.unit_uuid)
    return edge


def delete_edge(agent: Agent, input_uuid, output_uuid) -> None:
    access.require_user(agent)
    edge = db.session.execute(sa.select(UnitNodeEdge).where(
        UnitNodeEdge.node_input_uuid == input_uuid, UnitNodeEdge.node_output_uuid == output_uuid)).scalar_one_or_none()
    if edge is None:
        raise not_found()
    input_ = db.session.get(UnitNode, edge.node_input_uuid)
    output = db.session.get(UnitNode, edge.node_output_uuid)
    if agent.uuid not in (edge.creator_uuid, input_.creator_uuid, output.creator_uuid):
        raise NoAccessError(f"{agent.class_name} is not creator this entity - UnitNodeEdge.")
    db.session.delete(edge)
    db.session.flush()
    if output.unit_uuid != input_.unit_uuid:
        # The output's unit keeps reading the input only while another of its outputs feeds it.
        still_linked = db.session.execute(
            sa.select(UnitNodeEdge.uuid).join(UnitNode, UnitNode.uuid == UnitNodeEdge.node_output_uuid)
            .where(UnitNodeEdge.node_input_uuid == input_.uuid, UnitNode.unit_uuid == output.unit_uuid)
        ).first()
        if still_linked is None:
            revoke(output.unit_uuid, input_.uuid)
    db.session.commit()
    acl_generation.bump()
    _schema_update(input_.unit_uuid)

