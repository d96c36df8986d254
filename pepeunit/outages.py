"""Dependency outages: PostgreSQL or Redis down answers 503, not 500.

``dependency_of(exc)`` says whether an exception means a dependency is unreachable
(``"PostgreSQL"`` / ``"Redis"``) or is a real bug (``None``). Both doors (the REST
error handlers, the GraphQL view) answer :class:`~pepeunit.errors.ServiceUnavailable`
with ``Retry-After``.
"""
from __future__ import annotations

import redis
from flask import Flask, jsonify, request
from sqlalchemy import exc as sa_exc

from .errors import ServiceUnavailable

POSTGRESQL = "PostgreSQL"
REDIS = "Redis"
RETRY_AFTER_SECONDS = 10

_DB_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
_REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)
EXCEPTIONS = _DB_ERRORS + _REDIS_ERRORS


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


def unavailable(dependency: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"{dependency} is unavailable, try again in {RETRY_AFTER_SECONDS} seconds")


def answer(error: BaseException):
    """The 503 answer for an outage: ``{"detail"}`` on REST, ``{"errors": [{"message"}]}`` on GraphQL."""
    message = unavailable(dependency_of(error) or POSTGRESQL).message
    body = {"errors": [{"message": message}]} if request.blueprint == "graphql" else {"detail": message}
    return with_retry_after(jsonify(body))


def with_retry_after(response):
    response.status_code = ServiceUnavailable.status
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    for error_class in EXCEPTIONS:
        app.register_error_handler(error_class, answer)
