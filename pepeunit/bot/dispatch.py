"""Running updates: one at a time in an app context, never letting an error out.

The webhook route hands updates to a small per-process pool (``UpdatePool``) so
a slow Bot API or a slow handler cannot hold a web worker for long; the polling
job calls ``process_update`` directly in its own thread.
"""
from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from telebot.types import Update

from ..observability import prometheus_metrics as figures

log = logging.getLogger(__name__)

POOL_THREADS = 4
POOL_MAX_PENDING = 64  # updates queued or running per process before the route says 503


def process_update(app, bot, payload: dict) -> str | None:
    """Handle one raw Update; returns None on success, else a short error text."""
    try:
        update = Update.de_json(dict(payload))
    except Exception as exc:
        log.warning("telegram: unreadable update %r skipped: %s", payload.get("update_id"), exc)
        figures.TELEGRAM_UPDATES.labels("unreadable").inc()
        return f"Unreadable update: {exc}"
    try:
        with app.app_context():
            bot.process_new_updates([update])
    except Exception as exc:  # handlers are guarded; this is the library or the app context
        log.exception("telegram: update %s failed", payload.get("update_id"))
        figures.TELEGRAM_UPDATES.labels("failed").inc()
        return f"Update processing failed: {exc}"
    figures.TELEGRAM_UPDATES.labels("ok").inc()
    return None


class UpdatePool:
    """A bounded thread pool, created lazily in the process that uses it (after fork)."""

    def __init__(self, threads: int = POOL_THREADS, max_pending: int = POOL_MAX_PENDING):
        self.threads = threads
        self.slots = threading.BoundedSemaphore(max_pending)
        self._lock = threading.Lock()
        self._pid = None
        self._executor = None

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="pepeunit-telegram-update")
                self._pid = os.getpid()
            return self._executor

    def submit(self, fn, *args) -> Future | None:
        """Queue ``fn(*args)``; None when the pool is full."""
        if not self.slots.acquire(blocking=False):
            return None
        try:
            future = self._get_executor().submit(fn, *args)
        except RuntimeError:
            self.slots.release()
            raise
        future.add_done_callback(lambda _f: self.slots.release())
        return future


def pool_for(app) -> UpdatePool:
    return app.extensions.setdefault("pepeunit_bot_pool", UpdatePool())
