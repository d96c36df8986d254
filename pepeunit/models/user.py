"""Users of the instance: people who own repositories and units."""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import created_at, enum_type, uuid_pk
from .enums import UserRole, UserStatus


class User(db.Model):
    __tablename__ = "users"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    role: Mapped[UserRole] = mapped_column(enum_type(UserRole), nullable=False, default=UserRole.USER)
    status: Mapped[UserStatus] = mapped_column(
        enum_type(UserStatus), nullable=False, default=UserStatus.UNVERIFIED
    )
    login: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)
    # argon2id encoded hash: algorithm, parameters and salt live inside it.
    hashed_password: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    grafana_org_name: Mapped[uuid_module.UUID] = mapped_column(
        UUID(as_uuid=True), nullable=False, default=uuid_module.uuid4
    )
    grafana_org_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    create_datetime: Mapped[datetime] = created_at()
