"""Fixtures for the bot tests: a Bot API stand-in and apps pointed at it."""
from __future__ import annotations

import pytest

from pepeunit import create_app
from pepeunit.bot.runtime import start_bot_runtime
from pepeunit.config import Settings
from pepeunit.extensions import db

from ..conftest import make_test_environ
from .telegram_standin import TOKEN, TelegramStandIn

FAST = {"lease_ttl_ms": 600, "long_poll_seconds": 1, "webhook_check_seconds": 0.3, "retry_seconds": 0.1}
IP_DOMAIN = "127.0.0.1:5000"


@pytest.fixture
def standin():
    server = TelegramStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def make_bot_app(app, database_url, redis_url, standin):
    """Build an app (a "worker") talking to the stand-in; ``app`` ran the migrations."""
    apps = []

    def make(**env):
        values = {"PU_TELEGRAM_TOKEN": TOKEN, "PU_TELEGRAM_API_URL": standin.url}
        values.update(env)
        application = create_app(Settings.from_env(make_test_environ(database_url, redis_url, **values)))
        apps.append(application)
        return application

    yield make
    for application in apps:
        runtime = application.extensions.get("pepeunit_bot_runtime")
        if runtime is not None:
            runtime.stop()
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def start_runtime():
    def start(application, **overrides):
        return start_bot_runtime(application, **{**FAST, **overrides})

    return start
