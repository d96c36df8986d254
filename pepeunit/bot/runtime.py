"""``start_bot_runtime(app)``: start the bot's background job in this worker.

Called once per worker (gunicorn post_fork). Every worker starts a contender;
the Redis lease lets exactly one of them, across all workers and hosts, run
the job: long polling ("telegram-polling") or keeping the webhook registered
("telegram-webhook"). Webhook updates themselves arrive at every worker through
``POST /pepeunit/api/v1/bot``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..runtime.lease import LeaderThread, RedisLease
from .backoff import Backoff
from .client import bot_for
from .polling import LONG_POLL_SECONDS, PollingJob
from .settings import POLLING, bot_mode, disabled_reason
from .webhook import CHECK_SECONDS, WebhookJob

log = logging.getLogger(__name__)

POLLING_LEASE = "telegram-polling"
WEBHOOK_LEASE = "telegram-webhook"
LEASE_TTL_MS = 10000
RETRY_MAX_SECONDS = 60


@dataclass
class BotRuntime:
    mode: str | None = None
    threads: list = field(default_factory=list)

    @property
    def is_leader(self) -> bool:
        return any(t.is_leader.is_set() for t in self.threads)

    def stop(self, timeout: float = 15) -> None:
        for thread in self.threads:
            thread.stop()
        for thread in self.threads:
            thread.join(timeout)


def start_bot_runtime(
    app,
    *,
    lease_ttl_ms: int = LEASE_TTL_MS,
    long_poll_seconds: int = LONG_POLL_SECONDS,
    webhook_check_seconds: float = CHECK_SECONDS,
    retry_seconds: float = 1.0,
) -> BotRuntime:
    """Start the leader-elected bot job; a disabled bot starts nothing (and says why)."""
    settings = app.config["PU_SETTINGS"]
    reason = disabled_reason(settings)
    bot = None if reason else bot_for(app)
    if bot is None:
        log.info("Telegram bot runtime not started: %s", reason or "the bot could not be built")
        runtime = BotRuntime()
    else:
        mode = bot_mode(settings)
        backoff = Backoff(retry_seconds, RETRY_MAX_SECONDS)
        if mode == POLLING:
            job, lease_name = PollingJob(app, bot, long_poll_seconds, backoff), POLLING_LEASE
        else:
            job, lease_name = WebhookJob(app, bot, webhook_check_seconds, backoff), WEBHOOK_LEASE
        lease = RedisLease(app.extensions["pepeunit_redis"], lease_name, lease_ttl_ms)
        thread = LeaderThread(lease, job.run, name=f"pepeunit-{lease_name}")
        thread.start()
        log.info("Telegram bot runtime started in %s mode", mode)
        runtime = BotRuntime(mode, [thread])
    app.extensions["pepeunit_bot_runtime"] = runtime
    return runtime
