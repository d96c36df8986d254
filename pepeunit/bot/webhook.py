"""Webhook registration, run by the one process of the instance holding the "telegram" lease.

On taking the lease it registers ``<PU_LINK_PREFIX_AND_V1>/bot`` with the secret
token (pending updates are kept, unlike upstream's drop on every start), then
checks every ``check_seconds`` that the webhook is still ours and registers it
again if it was removed or replaced. Bot API failures are retried with backoff.
"""
from __future__ import annotations

import logging
import threading

from ..extensions import get_settings
from .backoff import Backoff
from .settings import ALLOWED_UPDATES, WEBHOOK, webhook_secret, webhook_url

log = logging.getLogger(__name__)

CHECK_SECONDS = 60
MAX_CONNECTIONS = 40


class WebhookJob:
    mode = WEBHOOK

    def __init__(self, app, bot, check_seconds: float = CHECK_SECONDS, backoff: Backoff | None = None):
        settings = get_settings(app)
        self.bot = bot
        self.url = webhook_url(settings)
        self.secret = webhook_secret(settings)
        self.check_seconds = check_seconds
        self.backoff = backoff or Backoff()

    def register(self) -> None:
        self.bot.set_webhook(
            url=self.url,
            secret_token=self.secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
            max_connections=MAX_CONNECTIONS,
        )
        log.info("telegram: webhook registered at %s", self.url)

    def run(self, stop: threading.Event) -> None:
        registered = False
        while not stop.is_set():
            try:
                if not registered or self.bot.get_webhook_info().url != self.url:
                    self.register()
                    registered = True
                self.backoff.reset()
                wait = self.check_seconds
            except Exception as exc:
                wait = self.backoff.next_delay()
                log.warning("telegram: webhook registration failed (%s); retrying in %.1fs", exc, wait)
            stop.wait(wait)
