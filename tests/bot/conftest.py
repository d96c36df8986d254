"""Fixtures for the bot tests: a Bot API stand-in and apps pointed at it."""
from __future__ import annotations

import pytest

from pepeunit import create_app
from pepeunit.bot.background import TELEGRAM, telegram_job
from pepeunit.config import Settings
from pepeunit.extensions import db
from pepeunit.runtime.runner import Runtime

from ..conftest import make_test_environ
from .telegram_standin import OTHER_TOKEN, TOKEN, TelegramStandIn

FAST = {"lease_ttl_ms": 600, "long_poll_seconds": 1, "webhook_check_seconds": 0.3, "retry_seconds": 0.1}
IP_DOMAIN = "127.0.0.1:5000"


@pytest.fixture
def standin():
    server = TelegramStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def other_standin():
    """The Bot API of a second bot (``OTHER_TOKEN``); its update ids start at 1 again."""
    server = TelegramStandIn(OTHER_TOKEN).start()
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
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


class BotRuntime:
    """A worker's runtime running only the Telegram job, as the bot tests look at it."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    @property
    def mode(self) -> str | None:
        """The mode of the job the runtime started (None: the bot is off)."""
        runner = self.runtime.runners.get(TELEGRAM)
        return runner.__self__.mode if runner is not None else None

    @property
    def threads(self) -> list:
        return self.runtime.threads

    @property
    def is_leader(self) -> bool:
        return self.runtime.is_leader

    def stop(self) -> None:
        self.runtime.stop()


def start_bot_runtime(application, **timings) -> BotRuntime:
    """Start the Telegram job in this "worker" the way ``start_in_worker`` does, with ``timings``."""
    return BotRuntime(Runtime(application, [telegram_job(**timings)]).start())


@pytest.fixture
def start_runtime(make_bot_app):
    """Start a worker's Telegram job with FAST timings; every runtime started is stopped at the end."""
    started = []

    def start(application, **overrides):
        started.append(start_bot_runtime(application, **{**FAST, **overrides}))
        return started[-1]

    yield start
    for runtime in started:
        runtime.stop()
