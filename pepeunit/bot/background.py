"""The bot's background job, registered on the runtime (``pepeunit.runtime``).

``register_telegram_job(app)`` (called by ``create_app``) adds one job under its own lease,
``telegram`` (scoped by ``PU_DOMAIN`` like every lease): every worker contends, and exactly
one process per instance, across all workers and hosts, runs long polling
(``polling.PollingJob``) or keeps the webhook registered (``webhook.WebhookJob``). A dead
holder is replaced once the lease lapses (``LEASE_TTL_MS``). Webhook updates themselves
arrive at every worker through ``POST /pepeunit/api/v1/bot``. A disabled bot starts nothing
(and says why).
"""
from __future__ import annotations

import logging

from ..extensions import get_settings
from ..runtime.registry import Job, Lease, Runner, register
from .backoff import Backoff
from .client import bot_for
from .polling import LONG_POLL_SECONDS, PollingJob
from .settings import POLLING, bot_mode, disabled_reason
from .webhook import CHECK_SECONDS, WebhookJob

log = logging.getLogger(__name__)

TELEGRAM = "Telegram bot"
LEASE_NAME = "telegram"
LEASE_TTL_MS = 10000
RETRY_MAX_SECONDS = 60


def telegram_job(
    *,
    lease_ttl_ms: int = LEASE_TTL_MS,
    long_poll_seconds: int = LONG_POLL_SECONDS,
    webhook_check_seconds: float = CHECK_SECONDS,
    retry_seconds: float = 1.0,
) -> Job:
    def start(app) -> Runner | None:
        settings = get_settings(app)
        reason = disabled_reason(settings)
        bot = None if reason else bot_for(app)
        if bot is None:
            log.info("Telegram bot job not started: %s", reason or "the bot could not be built")
            return None
        backoff = Backoff(retry_seconds, RETRY_MAX_SECONDS)
        if bot_mode(settings) == POLLING:
            job = PollingJob(app, bot, long_poll_seconds, backoff)
        else:
            job = WebhookJob(app, bot, webhook_check_seconds, backoff)
        log.info("Telegram bot job ready in %s mode", job.mode)
        return job.run

    return Job(TELEGRAM, start, Lease(LEASE_NAME, lease_ttl_ms))


def register_telegram_job(app, **timings) -> Job:
    return register(app, telegram_job(**timings))
