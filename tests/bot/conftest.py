"""Fixtures for the bot tests: Bot API stand-ins, apps pointed at them, runtimes and the browsing world."""
from __future__ import annotations

import pytest

from pepeunit import create_app
from pepeunit.config import Settings
from pepeunit.extensions import db

from ..helpers import make_test_environ, new_user
from ..unit_repo import build_unit_repository, register_repository
from .browsing import OWNER_CHAT, BotWorld
from .common import FAST, start_bot_runtime
from .telegram_standin import OTHER_TOKEN, TOKEN, TelegramStandIn


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
def make_bot_app(app, database_url, redis_url, standin, git_server):
    """Build an app (a "worker") talking to the stand-in; ``app`` ran the migrations."""
    apps = []

    def make(**env):
        values = {"PU_TELEGRAM_TOKEN": TOKEN, "PU_TELEGRAM_API_URL": standin.url,
                  "PU_GITHUB_API_URL": git_server.releases.github_url}
        values.update(env)
        application = create_app(Settings.from_env(make_test_environ(database_url, redis_url, **values)))
        apps.append(application)
        return application

    yield make
    for application in apps:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


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


@pytest.fixture
def bot_world(make_bot_app, standin, tmp_path) -> BotWorld:
    """A bot app over a registered unit repository; the owner's chat ``OWNER_CHAT`` is linked."""
    application = make_bot_app(PU_SAVE_REPO_PATH=str(tmp_path / "repo_cache"))
    client = application.test_client()
    owner, token = new_user(client, "owner1")
    work = build_unit_repository(tmp_path / "work")
    with application.app_context():
        registry, repo = register_repository(work, owner["uuid"])
        registry_uuid, repo_uuid = registry.uuid, repo.uuid
    world = BotWorld(application, client, standin, owner, token, work, registry_uuid, repo_uuid)
    world.link(token, OWNER_CHAT)
    return world
