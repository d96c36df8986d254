"""The Redis lease elects one holder, renews it, and hands over when the holder dies."""
import threading
import time

import redis

from pepeunit.runtime.lease import LeaderThread, RedisLease

from ..helpers import wait_until


def test_only_one_acquires_and_renew_needs_the_token(redis_url):
    client = redis.Redis.from_url(redis_url)
    first, second = RedisLease(client, "t1", 1000), RedisLease(client, "t1", 1000)
    assert first.acquire() and not second.acquire()
    assert first.renew() and not second.renew()
    second.release()  # not the holder: nothing happens
    assert first.holder() == first.token
    first.release()
    assert second.acquire()


def test_lapsed_lease_is_taken_over(redis_url):
    client = redis.Redis.from_url(redis_url)
    first, second = RedisLease(client, "t2", 200), RedisLease(client, "t2", 200)
    assert first.acquire()
    time.sleep(0.3)
    assert second.acquire() and not first.renew()


def test_one_leader_among_threads_and_failover(redis_url):
    client = redis.Redis.from_url(redis_url)
    running = []
    lock = threading.Lock()

    def lead(stop):
        with lock:
            running.append(threading.current_thread().name)
        stop.wait()
        with lock:
            running.remove(threading.current_thread().name)

    contenders = [LeaderThread(RedisLease(client, "t3", 300), lead, f"c{i}") for i in range(3)]
    for c in contenders:
        c.start()
    assert wait_until(lambda: len(running) == 1)
    time.sleep(0.5)
    assert len(running) == 1
    leader = next(c for c in contenders if c.is_leader.is_set())
    leader.stop()
    assert wait_until(lambda: sum(c.is_leader.is_set() for c in contenders) == 1 and not leader.is_leader.is_set())
    assert wait_until(lambda: len(running) == 1)
    for c in contenders:
        c.stop()
    assert wait_until(lambda: running == [])


def test_deposed_leader_stops_when_the_key_is_stolen(redis_url):
    client = redis.Redis.from_url(redis_url)
    stopped = threading.Event()

    def lead(stop):
        stop.wait()
        stopped.set()

    contender = LeaderThread(RedisLease(client, "t4", 300), lead, "solo")
    contender.start()
    assert wait_until(contender.is_leader.is_set)
    client.set("pepeunit:lease:t4", "someone-else")
    assert wait_until(stopped.is_set, timeout=2)
    contender.stop()
