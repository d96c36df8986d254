"""Access rules, written once: agent types, roles, ownership and visibility.

Every service function starts by calling one of these; no door repeats them.
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa

from ..errors import NoAccessError
from ..extensions import db
from ..models import AgentType, Permission, PermissionEntities, UserRole, VisibilityLevel
from .agents import Agent

USER_ROLES = (UserRole.USER, UserRole.ADMIN)
ANY_AGENT = tuple(AgentType)

# Error texts print enum members as v1.2's Python did; v1.2 names the anonymous member BOT.
_V12_MEMBER_NAMES = {AgentType.ANONYMOUS: "BOT"}


def _render(members: Iterable) -> str:
    return "[" + ", ".join(
        f"<{type(m).__name__}.{_V12_MEMBER_NAMES.get(m, m.name)}: '{m.value}'>" for m in members) + "]"


def require(agent: Agent, *types: AgentType, roles: tuple[UserRole, ...] = USER_ROLES) -> None:
    """The caller must be one of ``types``; a user must also hold one of ``roles``."""
    if agent.type not in types:
        raise NoAccessError(f"{agent.class_name} access not allowed, only for {_render(types)}")
    if agent.type is AgentType.USER and agent.role not in roles:
        raise NoAccessError(f"{agent.class_name} access not allowed, only for {_render(roles)}")


def require_user(agent: Agent) -> None:
    require(agent, AgentType.USER)


def require_admin(agent: Agent) -> None:
    require(agent, AgentType.USER, roles=(UserRole.ADMIN,))


def require_creator(agent: Agent, entity) -> None:
    if agent.type is not AgentType.USER or agent.uuid != entity.creator_uuid:
        raise NoAccessError(f"{agent.class_name} is not creator this entity - {type(entity).__name__}.")


def has_permission(agent: Agent, resource_uuid) -> bool:
    if agent.uuid is None or agent.type not in (AgentType.USER, AgentType.UNIT):
        return False
    return db.session.execute(
        sa.select(sa.literal(1)).where(
            Permission.agent_uuid == agent.uuid, Permission.resource_uuid == resource_uuid
        )
    ).first() is not None


def can_see(agent: Agent, entity) -> bool:
    level = entity.visibility_level
    if level is VisibilityLevel.PUBLIC or agent.type is AgentType.BACKEND:
        return True
    if level is VisibilityLevel.INTERNAL:
        return agent.type in (AgentType.USER, AgentType.UNIT)
    return has_permission(agent, entity.uuid)


def require_visible(agent: Agent, entity) -> None:
    if can_see(agent, entity):
        return
    if entity.visibility_level is VisibilityLevel.INTERNAL:
        raise NoAccessError("Internal visibility level is not allowed")
    raise NoAccessError("Private visibility level is not allowed")


def visibility_clause(agent: Agent, model, resource_type: PermissionEntities, requested):
    """SQL condition limiting a list to what ``agent`` may see (v1.2 list semantics).

    Anonymous callers see Public only; every authenticated caller sees Public and
    Internal, plus the Private rows it holds a permission for.
    """
    requested = list(requested) if requested is not None else []
    column = model.visibility_level
    if agent.type is AgentType.BACKEND:
        return column.in_(requested)
    if agent.is_anonymous:
        return column.in_([v for v in requested if v is VisibilityLevel.PUBLIC])
    open_levels = [v for v in requested if v is not VisibilityLevel.PRIVATE]
    clause = column.in_(open_levels)
    if VisibilityLevel.PRIVATE in requested and agent.uuid is not None:
        permitted = sa.select(Permission.resource_uuid).where(
            Permission.agent_uuid == agent.uuid, Permission.resource_type == resource_type
        )
        clause = sa.or_(clause, sa.and_(column == VisibilityLevel.PRIVATE, model.uuid.in_(permitted)))
    return clause


def require_input_writer(agent: Agent, node) -> None:
    """Who may set an Input node's value (REST/GraphQL; the MQTT hook has its own rule).

    A Unit needs ``is_rewritable_input`` (v1.2). A User must see the node and be its
    creator or hold a permission on it: v1.2 let any user who could see a Public or
    Internal input drive a stranger's device (baseline W11).
    """
    require(agent, AgentType.USER, AgentType.UNIT)
    if agent.type is AgentType.UNIT and not node.is_rewritable_input:
        raise NoAccessError("The Unit requesting the information does not have access to it")
    require_visible(agent, node)
    if agent.type is AgentType.USER and agent.uuid != node.creator_uuid and not has_permission(agent, node.uuid):
        raise NoAccessError(f"{agent.class_name} is not creator this entity - {type(node).__name__}.")


def require_creator_or_self(agent: Agent, unit) -> None:
    """A unit's private things (env, schema, firmware, state storage, commands):
    its creator (a User) or the unit itself (a Unit token)."""
    require(agent, AgentType.USER, AgentType.UNIT)
    if agent.type is AgentType.UNIT:
        if agent.uuid != unit.uuid:
            raise NoAccessError(f"The Unit {agent.name} requesting the information does not have access to it")
        return
    require_creator(agent, unit)


def visible_edges(agent: Agent, edge_model, node_model):
    """SQL condition: edges whose two ends ``agent`` may both see."""
    levels = list(VisibilityLevel)
    seen = sa.select(node_model.uuid).where(
        visibility_clause(agent, node_model, PermissionEntities.UNIT_NODE, levels))
    return sa.and_(edge_model.node_output_uuid.in_(seen), edge_model.node_input_uuid.in_(seen))


def visible_registries(agent: Agent, model):
    """SQL condition: registry entries ``agent`` may read (anonymous callers: public ones only)."""
    if agent.is_anonymous:
        return model.is_public_repository.is_(True)
    return sa.true()


def require_registry_visible(agent: Agent, registry) -> None:
    """Registry entries have no visibility level: private ones are refused to anonymous callers (v1.2)."""
    if agent.is_anonymous and not registry.is_public_repository:
        raise NoAccessError("Private RepositoryRegistry is not allowed")


def scope_key(agent: Agent) -> str:
    """Callers that see the same things share a key (for caches of visibility-limited answers)."""
    if agent.type in (AgentType.ANONYMOUS, AgentType.BACKEND):
        return agent.type.value
    return f"{agent.type.value}:{agent.uuid}"


def visibility_not_below(parent, child_level, parent_name: str, child_name: str) -> None:
    """A child (unit, node) is never less restrictive than its parent (repo, unit)."""
    from ..errors import ValidationError

    if parent.visibility_level.rank > child_level.rank:
        raise ValidationError(
            f"The visibility level of the parent object {parent_name} is lower than that of the child object {child_name}"
        )


def require_creator_or_admin(agent: Agent, entity) -> None:
    """The entity's creator, or an Admin."""
    if agent.type is AgentType.USER and agent.role is UserRole.ADMIN:
        return
    require_creator(agent, entity)
