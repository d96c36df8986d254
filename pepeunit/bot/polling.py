"""Long polling, run by the one process of the instance holding the "telegram" lease.

Updates are fetched raw and parsed one by one, so a malformed update is skipped
instead of failing its whole batch forever. The offset is kept in Redis under the
bot's id (update ids are per bot: another bot's offset would hide this one's
updates) and moved past an update before it is handled: a new leader continues
where the old one stopped and never handles an update twice (at most once).
Every Bot API failure (down, 5xx, 409 Conflict, timeouts) is logged and retried
with backoff; the loop only ends when the lease is lost or the worker stops.
"""
from __future__ import annotations

import logging
import threading

import requests
from telebot import apihelper

from ..extensions import get_redis
from .backoff import Backoff
from .dispatch import process_update
from .settings import ALLOWED_UPDATES, POLLING

log = logging.getLogger(__name__)

OFFSET_KEY = "pepeunit:telegram:offset:{}"
LONG_POLL_SECONDS = 10


def bot_id(token: str) -> str:
    """The bot's id: the part of its token before ':'."""
    return token.split(":", 1)[0]


def offset_key(token: str) -> str:
    return OFFSET_KEY.format(bot_id(token))


class PollingJob:
    mode = POLLING

    def __init__(self, app, bot, long_poll_seconds: int = LONG_POLL_SECONDS, backoff: Backoff | None = None):
        self.app = app
        self.bot = bot
        self.long_poll_seconds = long_poll_seconds
        self.backoff = backoff or Backoff()
        self.redis = get_redis(app)
        self.offset_key = offset_key(bot.token)

    def _stored_offset(self) -> int | None:
        raw = self.redis.get(self.offset_key)
        return int(raw) if raw is not None else None

    def _fetch(self, offset):
        return apihelper.get_updates(
            self.bot.token,
            offset=offset,
            limit=100,
            timeout=None,
            allowed_updates=ALLOWED_UPDATES,
            long_polling_timeout=self.long_poll_seconds,
        )

    def run(self, stop: threading.Event) -> None:
        log.info("telegram: polling started")
        webhook_removed = False
        while not stop.is_set():
            try:
                if not webhook_removed:
                    # getUpdates answers 409 while a webhook is set; keep pending updates.
                    apihelper.delete_webhook(self.bot.token, drop_pending_updates=False)
                    webhook_removed = True
                updates = self._fetch(self._stored_offset())
                self.backoff.reset()
                for payload in updates or []:
                    if stop.is_set():  # deposed: the next leader resumes at the stored offset
                        break
                    self._handle(payload)
            except apihelper.ApiTelegramException as exc:
                if exc.error_code == 409 and "webhook" in str(exc.description).lower():
                    webhook_removed = False
                self._pause(stop, exc)
                continue
            except (apihelper.ApiException, requests.RequestException, ValueError, OSError) as exc:
                self._pause(stop, exc)
                continue
            except Exception as exc:  # e.g. Redis briefly unreachable
                log.exception("telegram: polling step failed")
                self._pause(stop, exc)
                continue
        log.info("telegram: polling stopped")

    def _handle(self, payload) -> None:
        update_id = payload.get("update_id") if isinstance(payload, dict) else None
        if isinstance(update_id, int):
            # Confirm first: a crash mid-update loses that update instead of
            # letting the next leader run it again (a unit command sent twice
            # is worse than a message the user has to repeat).
            self.redis.set(self.offset_key, update_id + 1)
            process_update(self.app, self.bot, payload)
        else:
            log.warning("telegram: update without an update_id skipped: %r", payload)

    def _pause(self, stop: threading.Event, exc) -> None:
        delay = self.backoff.next_delay()
        log.warning("telegram: polling failed (%s); retrying in %.1fs", exc, delay)
        stop.wait(delay)
