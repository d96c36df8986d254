"""What the bot should do with these settings: on or off, webhook or polling."""
from __future__ import annotations

import hashlib
import hmac

WEBHOOK = "webhook"
POLLING = "polling"
# The update types the handlers use; Telegram sends nothing else.
ALLOWED_UPDATES = ["message", "callback_query"]


def disabled_reason(settings) -> str | None:
    """Why the bot must not run, or None when it should."""
    if not settings.PU_FF_TELEGRAM_BOT_ENABLE:
        return "PU_FF_TELEGRAM_BOT_ENABLE is false"
    if not settings.PU_TELEGRAM_TOKEN.strip():
        return "PU_TELEGRAM_TOKEN is empty"
    return None


def bot_mode(settings) -> str:
    """An explicit PU_TELEGRAM_BOT_MODE wins; ``auto`` guesses from PU_DOMAIN.

    Telegram can only deliver webhooks to a public host name with TLS, so an IP
    address (with or without a port) or ``localhost`` means long polling.
    """
    mode = settings.PU_TELEGRAM_BOT_MODE
    if mode == WEBHOOK:
        return WEBHOOK
    if mode in (POLLING, "pooling"):  # "pooling" is upstream's spelling
        return POLLING
    host = settings.PU_DOMAIN.rsplit(":", 1)[0] if settings.PU_DOMAIN.count(":") == 1 else settings.PU_DOMAIN
    if settings.domain_is_ip or host.lower() == "localhost":
        return POLLING
    return WEBHOOK


def webhook_url(settings) -> str:
    return f"{settings.link_prefix_and_v1}/bot"


def webhook_secret(settings) -> str:
    """The value Telegram must echo in ``X-Telegram-Bot-Api-Secret-Token``.

    PU_TELEGRAM_WEBHOOK_SECRET if set; otherwise derived from PU_SECRET_KEY and
    the bot token, so every worker and host computes the same value and it
    changes with either secret.
    """
    if settings.PU_TELEGRAM_WEBHOOK_SECRET:
        return settings.PU_TELEGRAM_WEBHOOK_SECRET
    message = f"telegram-webhook:{settings.PU_TELEGRAM_TOKEN}".encode()
    return hmac.new(settings.PU_SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
