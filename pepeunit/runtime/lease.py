"""A Redis lease: at most one holder across every worker and host sharing the Redis.

The holder takes the key with SET NX PX and a random token, renews it well
before it lapses, and loses it the moment a renewal fails; another contender
takes over once the key expires. Renew and release only touch the key while it
still carries the holder's token.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Callable

import redis

log = logging.getLogger(__name__)

_RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease:
    def __init__(self, client: redis.Redis, name: str, ttl_ms: int = 5000):
        self.client = client
        self.key = f"pepeunit:lease:{name}"
        self.ttl_ms = ttl_ms
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW_SCRIPT, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        try:
            self.client.eval(_RELEASE_SCRIPT, 1, self.key, self.token)
        except redis.RedisError:
            log.warning("could not release lease %s", self.key)

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


class LeaderThread(threading.Thread):
    """Runs ``lead(stop_event)`` only while this process holds the lease.

    ``lead`` must return soon after ``stop_event`` is set: the event is set the
    moment a renewal fails, so a deposed leader stops at once.
    """

    def __init__(self, lease: RedisLease, lead: Callable[[threading.Event], None], name: str):
        super().__init__(name=name, daemon=True)
        self.lease = lease
        self.lead = lead
        self.shutdown = threading.Event()
        self.is_leader = threading.Event()
        self.interval = lease.ttl_ms / 3000.0

    def run(self) -> None:
        while not self.shutdown.is_set():
            try:
                if self.lease.acquire():
                    self._hold()
            except redis.RedisError as exc:
                log.warning("lease %s: redis error %s", self.lease.key, exc)
            self.shutdown.wait(self.interval)

    def _hold(self) -> None:
        deposed = threading.Event()
        self.is_leader.set()
        log.info("lease %s taken by %s", self.lease.key, self.lease.token[:8])
        worker = threading.Thread(target=self._lead_safely, args=(deposed,), name=f"{self.name}-lead", daemon=True)
        worker.start()
        try:
            while not self.shutdown.is_set() and worker.is_alive():
                time.sleep(self.interval)
                try:
                    if not self.lease.renew():
                        log.warning("lease %s lost", self.lease.key)
                        break
                except redis.RedisError as exc:
                    log.warning("lease %s: renewal failed (%s), stepping down", self.lease.key, exc)
                    break
        finally:
            deposed.set()
            self.is_leader.clear()
            worker.join(timeout=10)
            self.lease.release()

    def _lead_safely(self, deposed: threading.Event) -> None:
        try:
            self.lead(deposed)
        except Exception:
            log.exception("leader job %s crashed; the lease is handed back", self.name)

    def stop(self) -> None:
        self.shutdown.set()
