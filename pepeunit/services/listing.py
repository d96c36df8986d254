"""Shared list mechanics: filters from a request, search words, ordering, counting and pagination bounds."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping, Sequence

import sqlalchemy as sa

from ..errors import ValidationError
from ..extensions import db, get_settings
from ..models import OrderByDate
from ..models.columns import BIGINT_MAX


@dataclass(frozen=True)
class Page:
    offset: int | None = None
    limit: int | None = None

    def check(self) -> "Page":
        if self.offset is not None and self.offset < 0:
            raise ValidationError("offset must be >= 0")
        if self.offset is not None and self.offset > BIGINT_MAX:  # PostgreSQL's OFFSET is a bigint
            raise ValidationError(f"offset must be <= {BIGINT_MAX}")
        if self.limit is not None:
            if self.limit < 0:
                raise ValidationError("limit must be >= 0")
            maximum = get_settings().PU_MAX_PAGINATION_SIZE
            if self.limit > maximum:
                raise ValidationError(f"limit must be <= {maximum}")
        return self


def filter_from(filter_cls, args: Mapping):
    """A list request's arguments (REST query or GraphQL ``filters``) as the service's filter object.

    Every field of ``filter_cls`` takes the argument of the same name (``None`` when absent);
    ``offset`` and ``limit`` make its ``page``. Both doors call this, so a filter field is
    added once, in the service's dataclass and the doors' argument schemas.
    """
    values = {f.name: args.get(f.name) for f in fields(filter_cls) if f.name != "page"}
    return filter_cls(page=Page(offset=args.get("offset"), limit=args.get("limit")), **values)


def search(query, text: str | None, columns: Sequence):
    """Every whitespace-separated word must appear in at least one column (case-insensitive)."""
    for word in (text or "").split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(*(c.ilike(pattern, escape="\\") for c in columns)))
    return query


def order(query, *pairs):
    """Append ORDER BY for each (column, direction) whose direction is set."""
    for column, direction in pairs:
        if direction is not None:
            query = query.order_by(column.asc() if direction in (OrderByDate.asc, "asc") else column.desc())
    return query


def in_enum(column, values):
    """Enum-list filter: ``None`` or ``[]`` match nothing (v1.2), a list matches its members."""
    return column.in_(list(values or []))


def fetch_page(query, page: Page, *tiebreak):
    """(count before paging, rows of the page). ``0``/``None`` offset or limit means none."""
    page.check()
    count = db.session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    if tiebreak:
        query = query.order_by(*tiebreak)
    if page.offset:
        query = query.offset(page.offset)
    if page.limit:
        query = query.limit(page.limit)
    return count, list(db.session.execute(query).scalars())
