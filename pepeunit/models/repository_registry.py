"""The registry: one local clone per external git URL, and users' credentials for it."""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import created_at, enum_type, fk, utcnow, uuid_pk
from .enums import CredentialStatus, GitPlatform, RepositoryRegistryStatus


class RepositoryRegistry(db.Model):
    __tablename__ = "repository_registry"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    platform: Mapped[GitPlatform] = mapped_column(enum_type(GitPlatform), nullable=False)
    repository_url: Mapped[str] = mapped_column(sa.String(2048), nullable=False, unique=True)
    is_public_repository: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    releases_data: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    local_repository_size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    sync_status: Mapped[RepositoryRegistryStatus | None] = mapped_column(
        enum_type(RepositoryRegistryStatus), nullable=True
    )
    sync_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    sync_last_datetime: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    create_datetime: Mapped[datetime] = created_at()
    last_update_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    creator_uuid: Mapped[uuid_module.UUID | None] = fk("users.uuid", ondelete="SET NULL", nullable=True)


class RepositoryRegistryCredentials(db.Model):
    """A user's personal access token for a private registry entry, encrypted at rest."""

    __tablename__ = "repository_registry_credentials"
    __table_args__ = (sa.UniqueConstraint("repository_registry_uuid", "user_uuid"),)

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    repository_registry_uuid: Mapped[uuid_module.UUID] = fk("repository_registry.uuid")
    user_uuid: Mapped[uuid_module.UUID] = fk("users.uuid")
    cipher_credentials: Mapped[str] = mapped_column(sa.Text, nullable=False)
    status: Mapped[CredentialStatus] = mapped_column(
        enum_type(CredentialStatus), nullable=False, default=CredentialStatus.NOT_VERIFIED
    )
    create_datetime: Mapped[datetime] = created_at()
