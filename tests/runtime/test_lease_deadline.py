"""A leader stops at its own deadline, before its lease can lapse, when its renewal hangs or fails;
each taking of a lease draws a newer generation (the fencing token of its writes)."""
import threading
import time

import redis

from pepeunit.runtime.lease import Leadership, LeaderThread, RedisLease

from ..helpers import wait_until


def test_each_taking_draws_a_newer_generation(redis_url):
    client = redis.Redis.from_url(redis_url)
    first, second = RedisLease(client, "g1", 1000), RedisLease(client, "g1", 1000)
    assert first.acquire() and first.valid()
    first.release()
    assert second.acquire() and second.generation > first.generation
    assert not first.acquire() and first.generation < second.generation


def test_generations_keep_growing_when_redis_loses_its_data(redis_url):
    """Redis restarted empty: the counter is gone, yet the next leader's fencing token must be newer
    than the one the database stored, or every batch of every new leader is refused as deposed."""
    client = redis.Redis.from_url(redis_url)
    first, second = RedisLease(client, "g3", 1000), RedisLease(client, "g3", 1000)
    for _ in range(3):
        assert first.acquire()
        first.release()
    client.delete(first.key, first.generation_key)
    assert second.acquire() and second.generation > first.generation


def test_a_leader_whose_renewal_hangs_stops_before_its_lease_lapses(redis_url, monkeypatch):
    client = redis.Redis.from_url(redis_url)
    lease = RedisLease(client, "g2", 1500)
    frozen = threading.Event()  # Redis "frozen": the renewal never answers
    release = threading.Event()

    def hanging_renew():
        frozen.set()
        release.wait(10)
        return False

    monkeypatch.setattr(lease, "renew", hanging_renew)
    seen = {}

    def lead(stop):
        seen["stop"] = stop
        stop.wait()
        seen["key_ms_left"] = client.pttl(lease.key)  # still ours in Redis when we stopped leading
        seen["is_leader"] = contender.is_leader.is_set()

    contender = LeaderThread(lease, lead, "frozen")
    contender.start()
    try:
        assert wait_until(frozen.is_set, timeout=5)
        assert wait_until(lambda: "key_ms_left" in seen, timeout=5)
        assert isinstance(seen["stop"], Leadership) and seen["stop"].fence == ("g2", lease.generation)
        assert seen["key_ms_left"] > 0  # stopped before another process could take the lease
        assert not seen["is_leader"] and not contender.is_leader.is_set()
    finally:
        release.set()
        contender.stop()
        contender.join(5)


def test_a_leader_whose_renewal_fails_stops_at_once(redis_url, monkeypatch):
    client = redis.Redis.from_url(redis_url)
    lease = RedisLease(client, "g3", 1500)

    def failing_renew():
        raise redis.ConnectionError("Redis away")

    monkeypatch.setattr(lease, "renew", failing_renew)
    stopped = {}

    def lead(stop):
        started = time.monotonic()
        stop.wait()
        stopped["after"] = time.monotonic() - started

    contender = LeaderThread(lease, lead, "failing")
    contender.start()
    try:
        assert wait_until(lambda: "after" in stopped, timeout=5)
        assert stopped["after"] < 1.5
    finally:
        contender.stop()
        contender.join(5)
