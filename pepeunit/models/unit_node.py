"""Unit nodes (one per input/output topic of a unit's schema) and the edges between them."""
from __future__ import annotations

import uuid as uuid_module

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import VisibleResource, enum_type, fk, uuid_pk
from .enums import UnitNodeTypeEnum

DEFAULT_MAX_CONNECTIONS = 10


class UnitNode(VisibleResource, db.Model):
    __tablename__ = "units_nodes"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    type: Mapped[UnitNodeTypeEnum] = mapped_column(enum_type(UnitNodeTypeEnum), nullable=False)
    is_rewritable_input: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    max_connections: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=DEFAULT_MAX_CONNECTIONS
    )
    topic_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_data_pipe_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    data_pipe_yml: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    data_pipe_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    data_pipe_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    state: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    unit_uuid: Mapped[uuid_module.UUID] = fk("units.uuid")


class UnitNodeEdge(db.Model):
    """A directed link: the value of an Output node is delivered to an Input node."""

    __tablename__ = "units_nodes_edges"
    __table_args__ = (sa.UniqueConstraint("node_output_uuid", "node_input_uuid"),)

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    node_output_uuid: Mapped[uuid_module.UUID] = fk("units_nodes.uuid")
    node_input_uuid: Mapped[uuid_module.UUID] = fk("units_nodes.uuid")
    creator_uuid: Mapped[uuid_module.UUID] = fk("users.uuid")
