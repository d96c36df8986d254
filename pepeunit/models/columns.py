"""Column helpers shared by every model, and the column group of what users create and show."""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from .enums import VisibilityLevel

# PostgreSQL's integer and bigint ranges: a larger value sent to them fails the statement.
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


def utcnow() -> datetime:
    """Naive UTC wall time: what the timestamp columns hold."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def uuid_pk():
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid_module.uuid4)


def enum_type(enum_cls) -> sa.Enum:
    """Store an enum's value as text (no database enum type, easy to extend)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def fk(target: str, ondelete: str = "CASCADE", nullable: bool = False, index: bool = True):
    return mapped_column(
        UUID(as_uuid=True), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
    )


def created_at():
    return mapped_column(sa.DateTime, nullable=False, default=utcnow)


class VisibleResource:
    """What repos, units and unit nodes share: a visibility level and a creator (what access
    rules read), and the two timestamps. A mixin: each model's table gets its own copies."""

    visibility_level: Mapped[VisibilityLevel] = mapped_column(
        enum_type(VisibilityLevel), nullable=False, default=VisibilityLevel.PUBLIC
    )
    create_datetime: Mapped[datetime] = created_at()
    last_update_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    creator_uuid: Mapped[uuid_module.UUID] = fk("users.uuid")
