"""Permissions: which user or unit may see which repo, unit or unit node.

Only the creator of a resource grants, lists or revokes access to it (v1.2
meant this but its check never fired); an agent may also drop its own grant.
Every change bumps the ACL generation so cached MQTT decisions are redone.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..errors import PermissionError_, not_found
from ..extensions import db
from ..models import Permission, PermissionEntities, Repo, Unit, UnitNode, User
from ..models.permission import AGENT_COLUMNS, RESOURCE_COLUMNS
from . import access, acl_generation
from .agents import Agent
from .listing import Page, fetch_page
from .lookup import get_or_not_found

AGENT_MODELS = {PermissionEntities.USER: User, PermissionEntities.UNIT: Unit}
RESOURCE_MODELS = {PermissionEntities.REPO: Repo, PermissionEntities.UNIT: Unit, PermissionEntities.UNIT_NODE: UnitNode}


@dataclass
class PermissionFilter:
    resource_uuid: object
    resource_type: PermissionEntities
    agent_type: PermissionEntities | None = None
    page: Page = field(default_factory=Page)


def _name(kind: PermissionEntities) -> str:
    return f"PermissionEntities.{kind.name}"


def _resource(resource_type: PermissionEntities, resource_uuid):
    model = RESOURCE_MODELS.get(resource_type)
    if model is None:
        raise PermissionError_(f"Resource type {_name(resource_type)} is invalid, available: Unit, Repo, UnitNode")
    return get_or_not_found(model, resource_uuid)


def grant(agent_type: PermissionEntities, agent_uuid, resource_type: PermissionEntities, resource_uuid,
          exist_ok: bool = True) -> Permission:
    """Insert a permission row without access checks (used by other services inside their own transaction)."""
    existing = _find(agent_uuid, resource_uuid)
    if existing is not None:
        if exist_ok:
            return existing
        raise PermissionError_("Permission is exist")
    row = Permission(agent_type=agent_type, resource_type=resource_type,
                     **{AGENT_COLUMNS[agent_type]: agent_uuid, RESOURCE_COLUMNS[resource_type]: resource_uuid})
    db.session.add(row)
    db.session.flush()
    return row


def _find(agent_uuid, resource_uuid) -> Permission | None:
    return db.session.execute(
        sa.select(Permission).where(Permission.agent_uuid == agent_uuid, Permission.resource_uuid == resource_uuid)
    ).scalar_one_or_none()


def create(agent: Agent, agent_type: PermissionEntities, agent_uuid, resource_type: PermissionEntities,
           resource_uuid) -> Permission:
    access.require_user(agent)
    if agent_type not in AGENT_MODELS:
        raise PermissionError_(f"Agent type {_name(agent_type)} is invalid, available: User, Unit")
    resource = _resource(resource_type, resource_uuid)
    access.require_creator(agent, resource)
    get_or_not_found(AGENT_MODELS[agent_type], agent_uuid)
    try:
        row = grant(agent_type, agent_uuid, resource_type, resource_uuid, exist_ok=False)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise PermissionError_("Permission is exist") from None
    acl_generation.bump()
    return row


def resource_agents(agent: Agent, filters: PermissionFilter) -> tuple[int, list[Permission]]:
    access.require_user(agent)
    resource = _resource(filters.resource_type, filters.resource_uuid)
    access.require_creator(agent, resource)
    query = sa.select(Permission).where(Permission.resource_uuid == filters.resource_uuid)
    if filters.agent_type is not None:
        query = query.where(Permission.agent_type == filters.agent_type)
    return fetch_page(query, filters.page, Permission.uuid)


def delete(agent: Agent, agent_uuid, resource_uuid) -> None:
    access.require_user(agent)
    row = _find(agent_uuid, resource_uuid)
    if row is None:
        raise not_found()
    resource = _resource(row.resource_type, resource_uuid)
    if agent.uuid != agent_uuid:
        access.require_creator(agent, resource)
    if agent_uuid == resource_uuid:
        raise PermissionError_("A resource's access to itself cannot be removed")
    if agent_uuid == resource.creator_uuid:
        raise PermissionError_("The creator of the resource cannot remove his access to the resource")
    if row.agent_type is PermissionEntities.UNIT:
        if row.resource_type is PermissionEntities.REPO:
            unit = db.session.get(Unit, agent_uuid)
            if unit is not None and unit.repo_uuid == resource_uuid:
                raise PermissionError_("You cannot remove Unit's access to the parent Repo")
        if row.resource_type is PermissionEntities.UNIT_NODE and resource.unit_uuid == agent_uuid:
            raise PermissionError_("You cannot remove a Unit's access to its child UnitNodes")
    db.session.delete(row)
    db.session.commit()
    acl_generation.bump()
