"""The Bot API connection and the ``TeleBot`` of this process.

pyTelegramBotAPI keeps its base URL, proxy and timeouts in module globals of
``telebot.apihelper``; ``configure_api`` sets them from the settings, so one
process talks to one Bot API server (Telegram's, a self-hosted one, or the
tests' stand-in). Timeouts are short so that a Telegram outage costs a handler
seconds, not minutes.
"""
from __future__ import annotations

import logging
import threading

from telebot import TeleBot, apihelper

from ..extensions import get_settings
from .handlers.registry import register_handlers
from .settings import disabled_reason

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5  # seconds to reach the Bot API
READ_TIMEOUT = 15  # seconds for an answer (long polls add their own wait)
_build_lock = threading.Lock()


def configure_api(settings) -> None:
    base = settings.PU_TELEGRAM_API_URL.rstrip("/")
    apihelper.API_URL = base + "/bot{0}/{1}"
    apihelper.FILE_URL = base + "/file/bot{0}/{1}"
    proxy = settings.PU_TELEGRAM_PROXY_URL.strip()
    apihelper.proxy = {"http": proxy, "https": proxy} if proxy else None
    apihelper.CONNECT_TIMEOUT = CONNECT_TIMEOUT
    apihelper.READ_TIMEOUT = READ_TIMEOUT
    apihelper.RETRY_ON_ERROR = False  # our loops retry with backoff; a handler must not hang


def build_bot(settings) -> TeleBot | None:
    """A bot with every handler registered, or None (logged) when it must not run."""
    reason = disabled_reason(settings)
    if reason:
        log.info("Telegram bot disabled: %s", reason)
        return None
    try:
        bot = TeleBot(settings.PU_TELEGRAM_TOKEN.strip(), threaded=False, parse_mode="HTML")
    except ValueError as exc:
        log.error("Telegram bot disabled: PU_TELEGRAM_TOKEN is malformed (%s)", exc)
        return None
    configure_api(settings)
    register_handlers(bot)
    return bot


def bot_for(app) -> TeleBot | None:
    """The app's bot, built on first use (no network call is made here)."""
    key = "pepeunit_bot"
    if key not in app.extensions:
        with _build_lock:
            if key not in app.extensions:
                app.extensions[key] = build_bot(get_settings(app))
    return app.extensions[key]
