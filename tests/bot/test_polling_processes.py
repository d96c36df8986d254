"""Worker processes: exactly one per instance polls; killing it hands polling to another."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import redis

from ..helpers import make_test_environ
from .common import IP_DOMAIN
from .telegram_standin import OTHER_TOKEN, TOKEN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def lease_key(domain: str) -> str:
    return f"pepeunit:lease:telegram:{domain}"


LEASE_KEY = lease_key(IP_DOMAIN)


def spawn(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bot.worker_process"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def lease_token(worker: subprocess.Popen) -> str:
    line = worker.stdout.readline().split()
    assert line[0] == "lease-token", line
    return line[1]


def test_one_poller_among_processes_and_failover_after_a_crash(app, database_url, redis_url, standin):
    env = make_test_environ(
        database_url, redis_url, PU_DOMAIN=IP_DOMAIN, PU_TELEGRAM_TOKEN=TOKEN, PU_TELEGRAM_API_URL=standin.url
    )
    workers = [spawn(env), spawn(env)]
    try:
        tokens = {lease_token(worker): worker for worker in workers}
        store = redis.Redis.from_url(redis_url)
        assert standin.wait_for(lambda: store.get(LEASE_KEY) is not None, 20)

        for chat in (11, 12, 13):
            standin.push_message(chat, "/help")
        for chat in (11, 12, 13):
            assert len(standin.wait_for_message(chat, timeout=20)) == 1
        assert standin.conflicts == 0 and standin.max_polls_in_flight == 1

        leader = tokens[store.get(LEASE_KEY).decode()]
        leader.send_signal(signal.SIGKILL)  # no clean release: the lease has to lapse
        leader.wait(10)
        survivor = next(w for w in workers if w is not leader)
        standin.push_message(21, "/help")
        assert standin.wait_for_message(21, timeout=20)
        assert tokens[store.get(LEASE_KEY).decode()] is survivor
        assert all(len(standin.messages_to(chat)) == 1 for chat in (11, 12, 13, 21))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)


def test_two_instances_on_one_redis_each_poll_their_own_bot(app, database_url, redis_url, standin, other_standin):
    instances = {"127.0.0.1:5000": (TOKEN, standin), "127.0.0.1:5001": (OTHER_TOKEN, other_standin)}
    workers = {
        domain: spawn(make_test_environ(database_url, redis_url, PU_DOMAIN=domain, PU_TELEGRAM_TOKEN=token,
                                        PU_TELEGRAM_API_URL=server.url))
        for domain, (token, server) in instances.items()
    }
    try:
        tokens = {domain: lease_token(worker) for domain, worker in workers.items()}
        for _, server in instances.values():
            for chat in (31, 32):
                server.push_message(chat, "/help")
        for _, server in instances.values():
            for chat in (31, 32):
                assert len(server.wait_for_message(chat, timeout=20)) == 1
            assert server.conflicts == 0 and server.max_polls_in_flight == 1
        store = redis.Redis.from_url(redis_url)
        assert {domain: store.get(lease_key(domain)).decode() for domain in instances} == tokens
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
