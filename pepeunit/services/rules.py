"""Rules shared by several entities: logins, names and passwords, and unique names."""
from __future__ import annotations

import string

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db

NAME_SYMBOLS = frozenset(string.ascii_letters + string.digits + "_-.")
PASSWORD_SYMBOLS = frozenset(string.ascii_letters + string.digits + string.punctuation)


def fits(value: str | None, alphabet: frozenset, min_len: int, max_len: int) -> bool:
    return isinstance(value, str) and min_len <= len(value) <= max_len and set(value) <= alphabet


def is_valid_name(value: str | None) -> bool:
    """Logins, repo names and unit names: 4-20 of ``[A-Za-z0-9_.-]``."""
    return fits(value, NAME_SYMBOLS, 4, 20)


def is_valid_password(value: str | None) -> bool:
    return fits(value, PASSWORD_SYMBOLS, 8, 100)


def check_unique_name(column, value, error: type[Exception], word: str = "Name", exclude_uuid=None) -> None:
    """``value`` is a valid name not yet held in ``column`` (a user's login, a repo's or unit's name).

    ``exclude_uuid`` is the row being renamed; ``error`` and ``word`` make the v1.2 message.
    """
    if not is_valid_name(value):
        raise error(f"{word} is not correct")
    model = column.class_
    query = sa.select(model.uuid).where(column == value)
    if exclude_uuid is not None:
        query = query.where(model.uuid != exclude_uuid)
    if db.session.execute(query).first() is not None:
        raise error(f"{word} is not unique")


def commit_unique_name(error: type[Exception], word: str = "Name") -> None:
    """Commit; a unique-name race lost to a concurrent writer gives the same error as the check."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise error(f"{word} is not unique") from None
