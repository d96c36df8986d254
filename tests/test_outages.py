"""PostgreSQL or Redis down (or frozen): requests fail fast instead of hanging."""
from __future__ import annotations


def test_timeouts_reach_the_engine_and_the_redis_client(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    settings = app.config["PU_SETTINGS"]
    assert options["pool_timeout"] == settings.PU_DB_POOL_TIMEOUT_SECONDS
    assert options["connect_args"]["connect_timeout"] == settings.PU_DB_CONNECT_TIMEOUT_SECONDS
    assert options["connect_args"]["options"] == f"-c statement_timeout={settings.PU_DB_STATEMENT_TIMEOUT_MS}"
    kwargs = app.extensions["pepeunit_redis"].connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == settings.PU_REDIS_SOCKET_TIMEOUT_SECONDS
