"""A Redis lease: at most one holder across every worker and host sharing the Redis.

The holder takes the key with SET NX PX and a random token, renews it well
before it lapses, and loses it the moment a renewal fails; another contender
takes over once the key expires. Renew and release only touch the key while it
still carries the holder's token.

Each taking of a lease draws a new **generation** (INCR on a per-lease counter, in the same
script as the SET, raised to at least the taker's clock in microseconds, so a Redis that lost its
data, restarted empty, does not start again below the generation the database last saw and fence
every new leader out), the fencing token a leader's database writes carry: a deposed leader's write
with an older generation is refused (``services.report_batches``). The holder also knows its own
**deadline** (when its last successful acquire or renewal *started* + TTL - ``margin``): a leader
checks it before each batch and stops once past it, before another process can take the lease.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Callable

import redis

log = logging.getLogger(__name__)

_ACQUIRE_SCRIPT = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local generation = redis.call('incr', KEYS[2])
  local floor = tonumber(ARGV[3])
  if generation < floor then
    redis.call('set', KEYS[2], ARGV[3])
    generation = floor
  end
  return generation
end
return 0
"""
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
        self.name = name
        self.key = f"pepeunit:lease:{name}"
        self.generation_key = f"pepeunit:lease-generation:{name}"
        self.ttl_ms = ttl_ms
        self.margin = ttl_ms / 4000.0  # s before the key can lapse when the holder stops counting on it
        self.token = secrets.token_hex(16)
        self.generation = 0  # of the current (or last) holding; 0: never held
        self.valid_until = 0.0  # time.monotonic() after which the holder must not act as the holder

    def acquire(self) -> bool:
        started = time.monotonic()
        generation = int(self.client.eval(_ACQUIRE_SCRIPT, 2, self.key, self.generation_key, self.token,
                                          self.ttl_ms, time.time_ns() // 1000))
        if generation:
            self.generation = generation
            self.valid_until = started + self.ttl_ms / 1000.0 - self.margin
        return bool(generation)

    def renew(self) -> bool:
        started = time.monotonic()
        renewed = bool(self.client.eval(_RENEW_SCRIPT, 1, self.key, self.token, self.ttl_ms))
        if renewed:
            self.valid_until = started + self.ttl_ms / 1000.0 - self.margin
        else:
            self.valid_until = 0.0
        return renewed

    def valid(self) -> bool:
        """Whether the key surely still carries our token (a renewal started recently enough)."""
        return time.monotonic() < self.valid_until

    def release(self) -> None:
        try:
            self.client.eval(_RELEASE_SCRIPT, 1, self.key, self.token)
        except redis.RedisError:
            log.warning("could not release lease %s", self.key)

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


class Leadership(threading.Event):
    """The event a leader's job gets: set when the leadership ends; also says which one it is.

    ``fence`` (lease name, generation) goes with each database write; ``expired()`` is checked
    before each unit of work, and sets the event when the holder's deadline has passed (its
    renewal is late or hanging, so another process may soon take the lease).
    """

    def __init__(self, lease: RedisLease):
        super().__init__()
        self.lease = lease
        self.fence = (lease.name, lease.generation)

    def expired(self) -> bool:
        if self.is_set():
            return True
        if self.lease.valid():
            return False
        log.warning("lease %s: deadline passed without a renewal, stepping down", self.lease.key)
        self.set()
        return True


class LeaderThread(threading.Thread):
    """Runs ``lead(stop_event)`` only while this process holds the lease.

    ``lead`` must return soon after ``stop_event`` (a ``Leadership``) is set: the event is set
    the moment a renewal fails, or when the holder's deadline passes with the renewal still hanging
    (the watch below, and ``Leadership.expired`` checked by the jobs), so a deposed leader stops
    before another process can take the lease.
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
        deposed = Leadership(self.lease)
        self.is_leader.set()
        log.info("lease %s taken by %s (generation %s)", self.lease.key, self.lease.token[:8], self.lease.generation)
        worker = threading.Thread(target=self._lead_safely, args=(deposed,), name=f"{self.name}-lead", daemon=True)
        worker.start()
        watch = threading.Thread(target=self._watch, args=(deposed,), name=f"{self.name}-deadline", daemon=True)
        watch.start()
        try:
            while not self.shutdown.is_set() and worker.is_alive() and not deposed.is_set():
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
            watch.join()  # returns at once: the event is set
            self.is_leader.clear()
            worker.join(timeout=10)
            self.lease.release()

    def _watch(self, deposed: Leadership) -> None:
        """Ends the leadership at its deadline even while a renewal hangs (Redis frozen)."""
        while not deposed.wait(0.1):
            deposed.expired()
        self.is_leader.clear()  # however it ended (deadline, a job's own check, renewal failure, stop)

    def _lead_safely(self, deposed: threading.Event) -> None:
        try:
            self.lead(deposed)
        except Exception:
            log.exception("leader job %s crashed; the lease is handed back", self.name)

    def stop(self) -> None:
        self.shutdown.set()
