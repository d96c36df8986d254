"""Pepeunit backend: a Flask app factory over one service layer and several doors."""
from __future__ import annotations

from flask import Flask

from . import db_deadline, outages
from .body_timeout import BodyReadTimeout
from .config import Settings
from .observability import logs

__version__ = "1.2.0"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    logs.configure(settings)
    app = Flask(__name__)
    app.config.update(
        PU_SETTINGS=settings,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False

    # prometheus_client is imported here, not at the package's import: gunicorn.conf.py imports
    # pepeunit.config in the master and sets PROMETHEUS_MULTIPROC_DIR before any worker imports it.
    from . import (
        cors,
        models,  # noqa: F401  (registers the tables on the metadata)
    )
    from .bot.background import register_telegram_job
    from .cli import register_cli
    from .extensions import db, init_redis, migrate
    from .graphql import init_graphql
    from .observability import prometheus_endpoint, request_context
    from .rest import init_rest
    from .runtime.runner import register_leader_jobs

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    init_redis(app)
    init_rest(app)
    init_graphql(app)
    outages.init_app(app)
    request_context.init_app(app)  # request id, log context and HTTP figures of every Flask-routed request
    prometheus_endpoint.init_app(app)
    cors.init_app(app)
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
        # A failed statement's bound values (cipher texts, hashes, user input) stay out of exception
        # text, so a logged traceback never carries them.
        "hide_parameters": True,
        "pool_pre_ping": True, "pool_size": 10, "max_overflow": 10,
        "pool_timeout": settings.PU_DB_POOL_TIMEOUT_SECONDS, "connect_args": connect_args,
    }


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
