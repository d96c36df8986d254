"""Dependency outages: PostgreSQL or Redis down answers 503, logged once per outage.

``dependency_of(exc)`` says whether an exception means a dependency is unreachable
(``"PostgreSQL"`` / ``"Redis"``) or is a real bug (``None``). ``refused(name)``
counts a request refused because of it and logs a WARNING (no traceback) only when
the outage starts; ``recovered(name)`` logs one INFO with the count when the
dependency answers again. Both doors (the REST error handlers, the GraphQL view)
answer :class:`~pepeunit.errors.ServiceUnavailableError` with ``Retry-After``.
The tracker is per process: each gunicorn worker logs its own start and end.
"""
from __future__ import annotations

import logging
import threading

import redis
from flask import Flask, jsonify, request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import Pool

from .errors import ServiceUnavailableError

log = logging.getLogger(__name__)

POSTGRESQL = "PostgreSQL"
REDIS = "Redis"
RETRY_AFTER_SECONDS = 10

_DB_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
_REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
EXCEPTIONS = _DB_ERRORS + _REDIS_ERRORS


_lock = threading.Lock()
_refused: dict[str, int] = {}  # dependency -> requests refused since the outage started


def dependency_of(error: BaseException | None) -> str | None:
    """The dependency whose outage ``error`` is, or None (then it is a bug, not an outage)."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _REDIS_ERRORS):
            return REDIS
        if isinstance(error, _DB_ERRORS):
            return POSTGRESQL
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return POSTGRESQL
        error = error.__cause__ or error.__context__
    return None


def unavailable(dependency: str) -> ServiceUnavailableError:
    error = ServiceUnavailableError(f"{dependency} is unavailable, try again in {RETRY_AFTER_SECONDS} seconds")
    error.retry_after = RETRY_AFTER_SECONDS
    return error


def refused(dependency: str) -> ServiceUnavailableError:
    """Count one refused request; the first of an outage logs a WARNING. Returns the error to answer."""
    with _lock:
        count = _refused.get(dependency, 0)
        _refused[dependency] = count + 1
    if count == 0:
        log.warning("%s is unavailable: answering 503 until it is back", dependency)
    return unavailable(dependency)


def recovered(dependency: str) -> None:
    """The dependency answered again: log the end of its outage once, with the refused count."""
    if dependency not in _refused:  # the common case, no lock
        return
    with _lock:
        count = _refused.pop(dependency, None)
    if count is not None:
        log.info("%s is back after an outage; %d request(s) were refused with 503", dependency, count)


def in_outage(dependency: str) -> bool:
    return dependency in _refused


def on_redis_connect(connection) -> None:
    """``redis_connect_func`` of the Redis client: the usual handshake, then 'Redis is back'."""
    connection.on_connect()
    recovered(REDIS)


def on_db_connect(dbapi_connection, connection_record) -> None:
    """Pool ``connect`` listener: a new PostgreSQL connection opened, so PostgreSQL is back."""
    recovered(POSTGRESQL)


def answer(error: BaseException):
    """The 503 answer for an outage: ``{"detail"}`` on REST, ``{"errors": [{"message"}]}`` on GraphQL."""
    message = refused(dependency_of(error) or POSTGRESQL).message
    body = {"errors": [{"message": message}]} if request.blueprint == "graphql" else {"detail": message}
    return with_retry_after(jsonify(body))


def with_retry_after(response):
    response.status_code = ServiceUnavailableError.status
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    """503 handlers for the outage exceptions, and the 'PostgreSQL is back' listener."""
    for error_class in EXCEPTIONS:
        app.register_error_handler(error_class, answer)
    # A new pooled connection means PostgreSQL answers again (any engine: there is one per app).
    if not event.contains(Pool, "connect", on_db_connect):
        event.listen(Pool, "connect", on_db_connect)
