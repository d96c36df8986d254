"""Log lines sent by units over MQTT, kept until their expiry (PostgreSQL instead of ClickHouse)."""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import enum_type, fk, utcnow, uuid_pk
from .enums import LogLevel


class UnitLog(db.Model):
    __tablename__ = "unit_logs"
    __table_args__ = (sa.Index("ix_unit_logs_unit_uuid_create_datetime", "unit_uuid", "create_datetime"),)

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    level: Mapped[LogLevel] = mapped_column(enum_type(LogLevel), nullable=False)
    unit_uuid: Mapped[uuid_module.UUID] = fk("units.uuid", index=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    create_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    expiration_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, index=True)
