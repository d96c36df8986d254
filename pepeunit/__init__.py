"""Pepeunit backend: a Flask app factory over one service layer and several doors."""
from __future__ import annotations

import logging

from flask import Flask

from . import db_deadline, outages
from .body_timeout import BodyReadTimeout
from .config import Settings

__version__ = "1.2.0"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.PU_LOG_LEVEL, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__)
    app.config.update(
        PU_SETTINGS=settings,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False

    from . import models  # noqa: F401  (registers the tables on the metadata)
    from .bot.background import register_telegram_job
    from .cli import register_cli
    from .extensions import db, init_redis, migrate
    from .graphql import init_graphql
    from .rest import init_rest
    from .runtime.runner import register_leader_jobs

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    init_redis(app)
    init_rest(app)
    init_graphql(app)
    outages.init_app(app)
    # Outermost WSGI layer, so every door's body is bounded (the broker hook's fast path too).
    app.wsgi_app = BodyReadTimeout(app.wsgi_app, settings.PU_REQUEST_BODY_TIMEOUT_SECONDS)
    register_cli(app)
    # Background jobs, started per worker by ``runtime.runner.start_in_worker``.
    register_leader_jobs(app)
    register_telegram_job(app)
    return app


def _engine_options(settings: Settings) -> dict:
    """Pool and timeouts: a dead or frozen PostgreSQL fails a request fast instead of hanging it."""
    db_deadline.install()  # the server's statement_timeout means nothing while the server is frozen
    connect_args = {"connect_timeout": settings.PU_DB_CONNECT_TIMEOUT_SECONDS}
    if settings.PU_DB_STATEMENT_TIMEOUT_MS:
        connect_args["options"] = f"-c statement_timeout={settings.PU_DB_STATEMENT_TIMEOUT_MS}"
    return {
        "pool_pre_ping": True, "pool_size": 10, "max_overflow": 10,
        "pool_timeout": settings.PU_DB_POOL_TIMEOUT_SECONDS, "connect_args": connect_args,
    }


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
