"""JSON and strings that arrive from outside, checked once for what the stdlib and PostgreSQL refuse.

``json.loads`` raises more than syntax errors: an integer literal over Python's
int-string conversion limit (4,300 digits) is a plain ``ValueError`` and deep
nesting (about a thousand levels) a ``RecursionError``. ``loads`` turns both into
the error model's ``JSONDecodeError_`` (422) and lets syntax errors through as
``json.JSONDecodeError`` for the caller's own "invalid JSON" answer.

PostgreSQL text cannot hold the NUL character (psycopg2 refuses the whole
statement), so ``refuse_nul`` rejects any string carrying one before a request
does anything: the REST argument parser, the GraphQL view (variables and string
literals) and JSON strings decoded inside a request call it.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from .errors import JSONDecodeError_, ValidationError

NUL = "\x00"


def loads(text: str | bytes, what: str = "JSON body") -> Any:
    """``json.loads`` with the error model for too-deep nesting and too-long integers."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise JSONDecodeError_(f"{what} is nested too deeply") from None
    except ValueError:  # the only other ValueError json raises: int-string conversion limit
        raise JSONDecodeError_(
            f"{what} has an integer literal longer than {sys.get_int_max_str_digits()} digits") from None


def nul_path(value: Any) -> str | None:
    """Where the first string (key or value) holding NUL is in a decoded JSON value, or None.

    Iterative, so any depth ``loads`` accepted is walked without recursion.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return path or "value"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and NUL in key:
                    return child_path
                stack.append((child_path, child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(item))
    return None


def refuse_nul(value: Any, where: str = "") -> None:
    path = nul_path(value)
    if path is not None:
        name = f"{where}.{path}" if where and path != "value" else (where or path)
        raise ValidationError(f"{name.replace(NUL, '')} must not contain the NUL character (\\u0000)")
