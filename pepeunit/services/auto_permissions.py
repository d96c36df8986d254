"""Permissions the platform grants by itself (unit creation, unit nodes, edges).

Inserted with ``ON CONFLICT DO NOTHING`` so an existing grant is never an
error and concurrent grants never race. Callers commit, then bump the ACL
generation.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from ..extensions import db
from ..models import Permission, PermissionEntities
from ..models.permission import AGENT_COLUMNS, RESOURCE_COLUMNS


def grant(agent_type: PermissionEntities, agent_uuid, resource_type: PermissionEntities, resource_uuid) -> None:
    values = {
        "agent_type": agent_type,
        "resource_type": resource_type,
        AGENT_COLUMNS[agent_type]: agent_uuid,
        RESOURCE_COLUMNS[resource_type]: resource_uuid,
    }
    db.session.execute(
        insert(Permission).values(**values).on_conflict_do_nothing(constraint="permissions_agent_resource_key")
    )


def revoke(agent_uuid, resource_uuid) -> None:
    db.session.execute(
        sa.delete(Permission).where(Permission.agent_uuid == agent_uuid, Permission.resource_uuid == resource_uuid)
    )
