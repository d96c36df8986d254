"""Extension objects, created unbound and initialised by ``create_app``, and the app's settings.

``get_settings()`` and ``get_redis()`` are the one way to reach the settings and the Redis
client: inside a request or app context as they are, from a thread or worker that holds
the app object as ``get_settings(app)`` / ``get_redis(app)``.
"""
from __future__ import annotations

import logging

import redis
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from . import outages
from .config import Settings

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    pass


class _SQLAlchemy(SQLAlchemy):
    def _teardown_session(self, exc: BaseException | None) -> None:
        """Never raise from the teardown: a connection lost mid-request must not replace the
        JSON answer with the server's HTML error page."""
        try:
            super()._teardown_session(exc)
        except Exception as error:  # noqa: BLE001  (the answer is already sent; nothing to do but note it)
            if outages.dependency_of(error) is None:
                log.exception("removing the database session failed")


db = _SQLAlchemy(model_class=Base)
migrate = Migrate()

_REDIS = "pepeunit_redis"


def init_redis(app: Flask) -> None:
    """One Redis client (one connection pool) per app, so per process."""
    timeout = get_settings(app).PU_REDIS_SOCKET_TIMEOUT_SECONDS
    app.extensions[_REDIS] = redis.Redis.from_url(
        get_settings(app).PU_REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout,
        redis_connect_func=outages.on_redis_connect,
    )


def get_redis(app: Flask | None = None) -> redis.Redis:
    """The Redis client of ``app`` (default: the current app)."""
    return (app or current_app).extensions[_REDIS]


def get_settings(app: Flask | None = None) -> Settings:
    """The validated settings of ``app`` (default: the current app)."""
    return (app or current_app).config["PU_SETTINGS"]
