"""Fixtures of the operations tests: an app with CORS origins set (the session app has none)."""
from __future__ import annotations

import dataclasses

import pytest

from pepeunit import create_app
from tests.bot.telegram_standin import TelegramStandIn

ALLOWED_ORIGINS = ("https://app.example.com", "http://localhost:3000")
BOT_TOKEN = "7000012345:AAF-leak-check-bot-secret-0123456789x"  # the shape of a real token (35-character secret)


@pytest.fixture
def cors_client(app, settings):
    """A test client of an app allowing ``ALLOWED_ORIGINS`` (same database as the session app)."""
    return create_app(dataclasses.replace(settings, PU_CORS_ORIGINS=ALLOWED_ORIGINS)).test_client()


@pytest.fixture
def leak_check_bot():
    """The Telegram Bot API stand-in for a bot whose token is shaped like a real one."""
    server = TelegramStandIn(BOT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def datapipe_on(app, monkeypatch, forget_backend_session):
    """The DataPipe flag on for this test, a cold config cache, and the consumer's broker session
    forgotten when the run ends."""
    from pepeunit.services.datapipe import cache

    monkeypatch.setitem(app.config, "PU_SETTINGS", dataclasses.replace(app.config["PU_SETTINGS"],
                                                                       PU_FF_DATAPIPE_ENABLE=True))
    cache.forget()
    yield
    cache.forget()
