"""String rules shared by several entities (logins, names, passwords)."""
from __future__ import annotations

import string

NAME_SYMBOLS = frozenset(string.ascii_letters + string.digits + "_-.")
PASSWORD_SYMBOLS = frozenset(string.ascii_letters + string.digits + string.punctuation)


def fits(value: str | None, alphabet: frozenset, min_len: int, max_len: int) -> bool:
    return isinstance(value, str) and min_len <= len(value) <= max_len and set(value) <= alphabet


def is_valid_name(value: str | None) -> bool:
    """Logins, repo names and unit names: 4-20 of ``[A-Za-z0-9_.-]``."""
    return fits(value, NAME_SYMBOLS, 4, 20)


def is_valid_password(value: str | None) -> bool:
    return fits(value, PASSWORD_SYMBOLS, 8, 100)
