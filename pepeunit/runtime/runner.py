"""The per-worker runtime: every gunicorn worker contends for one Redis lease.

The holder (one process across all workers and hosts sharing the Redis) is the
leader. While it holds the lease it runs, in this order:

1. the backend's Redis ACL for EMQX and the EMQX self-configuration (once per leadership,
   in the background, so a slow EMQX never delays consumption);
2. the scheduler of periodic jobs (all listed in ``pepeunit.runtime.jobs``);
3. the MQTT consumer, until the lease is lost, when everything stops at once.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading

import redis

from ..broker import emqx, publisher
from ..mqtt.consumer import Consumer
from . import jobs, scheduler  # noqa: F401  (jobs registers the periodic jobs)
from .lease import LeaderThread, RedisLease

log = logging.getLogger(__name__)


def lease_name(settings) -> str:
    return f"leader:{settings.PU_DOMAIN}"


class Runtime:
    def __init__(self, app):
        self.app = app
        self.settings = app.config["PU_SETTINGS"]
        self.redis = redis.Redis.from_url(self.settings.PU_REDIS_URL)
        self.lease = RedisLease(self.redis, lease_name(self.settings), self.settings.PU_LEADER_LEASE_SECONDS * 1000)
        # The token names the holder, so operators (and tests) can see which process leads.
        self.lease.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self.thread = LeaderThread(self.lease, self._lead, "pepeunit-leader")
        self.consumer: Consumer | None = None
        self.scheduler: scheduler.Scheduler | None = None

    def start(self) -> "Runtime":
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.thread.stop()
        self.thread.join(timeout)

    @property
    def is_leader(self) -> bool:
        return self.thread.is_leader.is_set()

    def _lead(self, deposed: threading.Event) -> None:
        log.info("process %s leads: MQTT consumer, broker set-up, scheduled jobs", self.lease.token)
        helpers = [
            threading.Thread(target=self._configure_broker, args=(deposed,), name="pepeunit-broker-setup",
                             daemon=True),
        ]
        self.scheduler = scheduler.Scheduler(self.app)
        helpers.append(threading.Thread(target=self.scheduler.run, args=(deposed,), name="pepeunit-scheduler",
                                        daemon=True))
        for helper in helpers:
            helper.start()
        self.consumer = Consumer(self.app)
        try:
            self.consumer.run(deposed)
        finally:
            deposed.set()
            for helper in helpers:
                helper.join(timeout=5)
            log.info("process %s stopped leading", self.lease.token)

    def _configure_broker(self, deposed: threading.Event) -> None:
        try:
            emqx.write_backend_acl(self.settings, redis.Redis.from_url(self.settings.mqtt_redis_auth_url))
            emqx.configure(self.settings, stop=deposed)
        except Exception:
            log.exception("broker set-up failed; it runs again at the next leadership")


_runtime: Runtime | None = None


def start_in_worker(app=None) -> Runtime:
    """Called from gunicorn's ``post_fork`` in every worker (and usable by any long-running process).

    Starts connecting the worker's MQTT publisher, the leader contender and the Telegram
    bot's own elected job; ``wsgi.py`` then
    serves this same app object, so a worker keeps one database and one Redis pool.
    """
    global _runtime
    if _runtime is None:
        if app is None:
            from .. import create_app

            app = create_app()
        from ..bot.runtime import start_bot_runtime

        publisher.connect_early(app.config["PU_SETTINGS"])
        _runtime = Runtime(app).start()
        start_bot_runtime(app)
    return _runtime


def worker_app():
    """The app of this worker's runtime, if ``post_fork`` started one."""
    return _runtime.app if _runtime is not None else None


def stop_in_worker() -> None:
    global _runtime
    if _runtime is not None:
        bot = _runtime.app.extensions.get("pepeunit_bot_runtime")
        if bot is not None:
            bot.stop()
        _runtime.stop()
        _runtime = None
