"""The runtime runs the registered jobs: those sharing a lease together, each lease per instance."""
from __future__ import annotations

import threading

import redis

from pepeunit.runtime import registry, runner

from ..helpers import wait_until

FAST_LEASE = registry.Lease("test-jobs", ttl_ms=600)


def recorder(calls: list, name: str, crash: threading.Event | None = None):
    def start(app):
        def run(stop: threading.Event) -> None:
            calls.append(name)
            if crash is not None and crash.is_set():
                crash.clear()
                raise RuntimeError("job crash")
            stop.wait()

        return run

    return registry.Job(name, start, FAST_LEASE)


def test_create_app_registers_the_leaders_and_the_bots_jobs(app):
    jobs = {job.name: job.lease.name for job in registry.registered(app)}
    assert jobs == {runner.CONSUMER: "leader", runner.BROKER_SETUP: "leader", runner.SCHEDULED_JOBS: "leader",
                    runner.ROLLOUT_DRIVER: "leader",
                    "Telegram bot": "telegram"}


def test_jobs_of_one_lease_run_in_one_process_and_a_switched_off_job_starts_nothing(app, settings, redis_url):
    calls: list = []
    off = registry.Job("off", lambda app: None, registry.Lease("never", ttl_ms=600))
    jobs = [recorder(calls, "a"), recorder(calls, "b"), off]
    runtimes = [runner.Runtime(app, jobs).start(), runner.Runtime(app, jobs).start()]
    try:
        assert wait_until(lambda: sorted(calls) == ["a", "b"], 10)
        assert sum(r.is_leader for r in runtimes) == 1 and all(len(r.threads) == 1 for r in runtimes)
        holder = redis.Redis.from_url(redis_url).get(f"pepeunit:lease:test-jobs:{settings.PU_DOMAIN}").decode()
        assert holder == next(r for r in runtimes if r.is_leader).threads[0].lease.token
    finally:
        for runtime in runtimes:
            runtime.stop()


def test_a_crashing_job_hands_its_lease_back(app):
    calls: list = []
    crash = threading.Event()
    crash.set()
    runtime = runner.Runtime(app, [recorder(calls, "steady"), recorder(calls, "crashy", crash)]).start()
    try:
        # the crash ends the first leadership; the lease is taken again and both jobs start anew
        assert wait_until(lambda: calls.count("steady") == 2 and calls.count("crashy") == 2, 10)
        assert runtime.is_leader
    finally:
        runtime.stop()
