"""A repo: a user's pool of units built from one registry entry."""
from __future__ import annotations

import uuid as uuid_module

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import VisibleResource, fk, uuid_pk


class Repo(VisibleResource, db.Model):
    __tablename__ = "repos"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    default_branch: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    is_auto_update_repo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    default_commit: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    is_only_tag_update: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    is_compilable_repo: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # RESTRICT: a registry entry cannot vanish from under its repos (the service says why).
    repository_registry_uuid: Mapped[uuid_module.UUID] = fk("repository_registry.uuid", ondelete="RESTRICT")
