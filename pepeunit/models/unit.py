"""A unit: one device built from a repo."""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import VisibleResource, enum_type, fk, uuid_pk
from .enums import UnitFirmwareUpdateStatus


class Unit(VisibleResource, db.Model):
    __tablename__ = "units"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    is_auto_update_from_repo_unit: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    target_firmware_platform: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    repo_branch: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    repo_commit: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    unit_state_dict: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    current_commit_version: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    cipher_env_dict: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    cipher_state_storage: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    firmware_update_status: Mapped[UnitFirmwareUpdateStatus | None] = mapped_column(
        enum_type(UnitFirmwareUpdateStatus), nullable=True
    )
    firmware_update_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    last_firmware_update_datetime: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    repo_uuid: Mapped[uuid_module.UUID] = fk("repos.uuid")
