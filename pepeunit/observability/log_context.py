"""What a log line is about: request id, route, user or unit uuid, MQTT topic.

One ``contextvars`` dict per thread of work. A request starts a fresh one
(``request_context``); the code that learns something binds it (``bind(user_uuid=...)``)
and every log record written afterwards in that context carries it (``logs.ContextFilter``).
"""
from __future__ import annotations

import contextlib
import contextvars

FIELDS = ("request_id", "route", "user_uuid", "unit_uuid", "mqtt_topic")
_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("pepeunit_log_context", default=None)


def current() -> dict:
    return _current.get() or {}


def start(**fields) -> contextvars.Token:
    """A fresh context (a new request); ``reset(token)`` puts the previous one back."""
    return _current.set({k: v for k, v in fields.items() if v is not None})


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def bind(**fields) -> None:
    """Add what is now known (None values are skipped) to the current context."""
    known = {k: str(v) for k, v in fields.items() if v is not None}
    if known:
        _current.set({**current(), **known})


@contextlib.contextmanager
def scope(**fields):
    """``with scope(mqtt_topic=...)``: fields bound for the block only."""
    token = _current.set({**current(), **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _current.reset(token)
