"""What the bot should do with these settings: on or off, webhook or polling."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress

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
    host = _host(settings.PU_DOMAIN)
    if host.lower() == "localhost" or _is_ip(host):
        return POLLING
    return WEBHOOK


def _host(domain: str) -> str:
    """``PU_DOMAIN`` without its port: ``name[:port]``, ``ipv4[:port]``, ``[ipv6]:port`` or a bare IPv6."""
    if domain.startswith("["):
        return domain[1:].split("]", 1)[0]
    if domain.count(":") == 1:
        return domain.split(":", 1)[0]
    return domain


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


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
