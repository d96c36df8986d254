"""Access-control list: an agent (user or unit) may see a resource (repo, unit or unit node).

Exactly one agent column and one resource column are filled, chosen by the type
columns; the typed foreign keys make rows vanish with the entities they name.
"""
from __future__ import annotations

import uuid as uuid_module

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import enum_type, fk, uuid_pk
from .enums import PermissionEntities

AGENT_COLUMNS = {
    PermissionEntities.USER: "agent_user_uuid",
    PermissionEntities.UNIT: "agent_unit_uuid",
}
RESOURCE_COLUMNS = {
    PermissionEntities.REPO: "resource_repo_uuid",
    PermissionEntities.UNIT: "resource_unit_uuid",
    PermissionEntities.UNIT_NODE: "resource_unit_node_uuid",
}


class Permission(db.Model):
    __tablename__ = "permissions"
    __table_args__ = (
        sa.CheckConstraint(
            "num_nonnulls(agent_user_uuid, agent_unit_uuid) = 1", name="permissions_one_agent"
        ),
        sa.CheckConstraint(
            "num_nonnulls(resource_repo_uuid, resource_unit_uuid, resource_unit_node_uuid) = 1",
            name="permissions_one_resource",
        ),
        sa.UniqueConstraint("agent_uuid", "resource_uuid", name="permissions_agent_resource_key"),
    )

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    agent_type: Mapped[PermissionEntities] = mapped_column(enum_type(PermissionEntities), nullable=False)
    resource_type: Mapped[PermissionEntities] = mapped_column(
        enum_type(PermissionEntities), nullable=False
    )
    agent_user_uuid: Mapped[uuid_module.UUID | None] = fk("users.uuid", nullable=True)
    agent_unit_uuid: Mapped[uuid_module.UUID | None] = fk("units.uuid", nullable=True)
    resource_repo_uuid: Mapped[uuid_module.UUID | None] = fk("repos.uuid", nullable=True)
    resource_unit_uuid: Mapped[uuid_module.UUID | None] = fk("units.uuid", nullable=True)
    resource_unit_node_uuid: Mapped[uuid_module.UUID | None] = fk("units_nodes.uuid", nullable=True)
    # Generated from the typed columns: one index answers "may X see Y" and keeps pairs unique.
    agent_uuid: Mapped[uuid_module.UUID] = mapped_column(
        sa.Uuid, sa.Computed("COALESCE(agent_user_uuid, agent_unit_uuid)", persisted=True)
    )
    resource_uuid: Mapped[uuid_module.UUID] = mapped_column(
        sa.Uuid,
        sa.Computed(
            "COALESCE(resource_repo_uuid, resource_unit_uuid, resource_unit_node_uuid)", persisted=True
        ),
        index=True,
    )
