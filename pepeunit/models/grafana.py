"""Grafana dashboards of a user, their panels, and which unit nodes each panel shows.

A dashboard is uploaded to the creator's own Grafana organisation (``users.grafana_org_id``)
under the stable uid ``grafana_uuid``. Deleting a dashboard deletes its panels, and a panel
(or a node) its links; a deleted link revokes the datasource token built for it.
"""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import created_at, enum_type, fk, uuid_pk
from .enums import DashboardPanelTypeEnum, DashboardStatus


class Dashboard(db.Model):
    __tablename__ = "dashboards"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    grafana_uuid: Mapped[uuid_module.UUID] = mapped_column(
        UUID(as_uuid=True), nullable=False, unique=True, default=uuid_module.uuid4)
    name: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    create_datetime: Mapped[datetime] = created_at()
    dashboard_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    inc_last_version: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    sync_status: Mapped[DashboardStatus | None] = mapped_column(enum_type(DashboardStatus), nullable=True)
    sync_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    sync_last_datetime: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    creator_uuid: Mapped[uuid_module.UUID] = fk("users.uuid")


class DashboardPanel(db.Model):
    __tablename__ = "dashboard_panels"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    # Panel plugin ids are longer than the 32 characters of the other enum columns.
    type: Mapped[DashboardPanelTypeEnum] = mapped_column(
        sa.Enum(DashboardPanelTypeEnum, native_enum=False, create_constraint=False, length=64,
                values_callable=lambda members: [m.value for m in members], validate_strings=True),
        nullable=False)
    title: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    create_datetime: Mapped[datetime] = created_at()
    creator_uuid: Mapped[uuid_module.UUID] = fk("users.uuid")
    dashboard_uuid: Mapped[uuid_module.UUID] = fk("dashboards.uuid")


class PanelUnitNode(db.Model):
    """A unit node shown on a panel; its uuid is part of the datasource token made for it."""

    __tablename__ = "panels_unit_nodes"
    __table_args__ = (sa.UniqueConstraint("unit_node_uuid", "dashboard_panels_uuid",
                                          name="uq_panels_unit_nodes_node_panel"),)

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    is_last_data: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    is_forced_to_json: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    create_datetime: Mapped[datetime] = created_at()
    unit_node_uuid: Mapped[uuid_module.UUID] = fk("units_nodes.uuid")
    dashboard_panels_uuid: Mapped[uuid_module.UUID] = fk("dashboard_panels.uuid")
