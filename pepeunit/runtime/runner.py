"""The per-worker runtime: every gunicorn worker contends for the lease of each registered job.

The jobs come from ``registry`` (registered by ``pepeunit.create_app``). For each lease that
has a job switched on, every worker runs a contender; the holder (one process across all
workers and hosts sharing the Redis, per ``PU_DOMAIN``) runs that lease's jobs, each in its
own thread, until it loses the lease, when they all stop at once. A job that crashes hands
the lease back.

This module registers the leader's jobs (``register_leader_jobs``), under the ``leader`` lease:

1. the MQTT consumer (``PU_MQTT_CONSUMER_MODE=leader``), or, in ``shared`` mode, the adoption of
   dead workers' consumer sessions (``mqtt.shared_group``): then every worker runs its own
   consumer in the shared group, outside any lease (``Runtime.member``);
2. the broker set-up: the backend's Redis ACL for EMQX and the EMQX self-configuration
   (once per leadership, in the background, so a slow EMQX never delays consumption);
3. the scheduler of periodic jobs (all listed in ``pepeunit.runtime.jobs``);
4. the staged-rollout driver (``services.rollouts.lifecycle.drive_all``, every few seconds).
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time

import redis

from .. import create_app
from ..broker import emqx, publisher
from ..broker.identity import worker_client_id
from ..extensions import get_redis, get_settings
from ..mqtt import shared_group
from ..mqtt.consumer import Consumer
from ..observability import prometheus_metrics as figures
from ..services.rollouts import lifecycle as rollout_lifecycle
from . import jobs as _periodic_jobs  # noqa: F401  (registers the periodic jobs on the scheduler)
from . import registry, scheduler
from .lease import LeaderThread, RedisLease

log = logging.getLogger(__name__)

CONSUMER = "MQTT consumer"
BROKER_SETUP = "broker set-up"
SCHEDULED_JOBS = "scheduled jobs"
ROLLOUT_DRIVER = "rollout driver"


def lease_name(settings, lease: str = registry.LEADER.name) -> str:
    """Leases are per instance: two backends sharing one Redis elect their own holders."""
    return f"{lease}:{settings.PU_DOMAIN}"


def holder_token() -> str:
    """Names the holder, so operators (and tests) can see which process holds a lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"


class Runtime:
    def __init__(self, app, jobs: list[registry.Job] | None = None):
        self.app = app
        self.settings = get_settings(app)
        self.redis = get_redis(app)
        self.jobs = registry.registered(app) if jobs is None else list(jobs)
        self.runners: dict[str, registry.Runner] = {}  # the jobs switched on, by name
        self.threads: list[LeaderThread] = []  # one contender per lease
        self.member: shared_group.Member | None = None  # shared mode: this worker's consumer
        self._member_stop = threading.Event()
        self._member_thread: threading.Thread | None = None

    def start(self) -> "Runtime":
        by_lease: dict[str, tuple[registry.Lease, list[str]]] = {}
        for job in self.jobs:
            runner = job.start(self.app)
            if runner is None:
                continue
            self.runners[job.name] = runner
            lease, names = by_lease.setdefault(job.lease.name, (job.lease, []))
            if lease != job.lease:
                raise ValueError(f"jobs under lease {lease.name!r} disagree on its ttl")
            names.append(job.name)
        for lease, names in by_lease.values():
            ttl_ms = lease.ttl_ms or self.settings.PU_LEADER_LEASE_SECONDS * 1000
            redis_lease = RedisLease(self.redis, lease_name(self.settings, lease.name), ttl_ms)
            redis_lease.token = holder_token()
            self.threads.append(LeaderThread(redis_lease, self._leader_of(redis_lease, names, lease.name),
                                            f"pepeunit-{lease.name}"))
        for thread in self.threads:
            thread.start()
        if self.settings.PU_MQTT_CONSUMER_MODE == "shared":
            client_id = worker_client_id(self.settings, socket.gethostname(), os.getpid())
            self.member = shared_group.Member(self.app, client_id)
            self._member_thread = threading.Thread(target=self.member.run, args=(self._member_stop,),
                                                   name="pepeunit: shared MQTT consumer", daemon=True)
            self._member_thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._member_stop.set()  # leaves the shared group (drains) while the leases are handed back
        for thread in self.threads:
            thread.stop()
        end = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, end - time.monotonic()))
        if self._member_thread is not None:
            self._member_thread.join(max(0.0, end - time.monotonic()))

    @property
    def is_leader(self) -> bool:
        """Whether this process holds any lease."""
        return any(thread.is_leader.is_set() for thread in self.threads)

    @property
    def consumer(self) -> Consumer | None:
        """This worker's shared-mode consumer, else the MQTT consumer of this process's current (or last) leadership."""
        if self.member is not None:
            return self.member.consumer
        return getattr(self.runners.get(CONSUMER), "consumer", None)

    def _leader_of(self, lease: RedisLease, names: list[str], lease_label: str):
        held = figures.LEASE_HELD.labels(lease_label)
        held.set(0)  # the series exists (0) in every contender, 1 in the holder

        def lead(deposed: threading.Event) -> None:
            log.info("process %s leads: %s", lease.token, ", ".join(names))
            held.set(1)
            threads = [threading.Thread(target=self._run, args=(name, deposed), name=f"pepeunit: {name}",
                                        daemon=True) for name in names]
            for thread in threads:
                thread.start()
            try:
                deposed.wait()
                for thread in threads:
                    thread.join(timeout=5)
            finally:
                held.set(0)
            log.info("process %s stopped leading: %s", lease.token, ", ".join(names))

        return lead

    def _run(self, name: str, deposed: threading.Event) -> None:
        try:
            self.runners[name](deposed)
        except Exception:
            log.exception("job %s crashed; its lease is handed back", name)
            deposed.set()


# --------------------------------------------------------------------------- the leader's jobs
class ConsumerRunner:
    """A fresh MQTT consumer at every leadership; ``consumer`` is the latest.

    In shared mode the leader consumes as a member like every worker; this job drains orphans instead."""

    def __init__(self, app):
        self.app = app
        self.consumer: Consumer | None = None

    def __call__(self, stop: threading.Event) -> None:
        if get_settings(self.app).PU_MQTT_CONSUMER_MODE == "shared":
            shared_group.adopt_orphans(self.app, stop)
            return
        self.consumer = Consumer(self.app)
        self.consumer.run(stop)


def _broker_setup(app) -> registry.Runner:
    settings = get_settings(app)

    def run(stop: threading.Event) -> None:
        try:
            emqx.write_backend_acl(settings, redis.Redis.from_url(settings.mqtt_redis_auth_url))
            emqx.configure(settings, stop=stop)
        except Exception:
            log.exception("broker set-up failed; it runs again at the next leadership")

    return run


def _scheduled_jobs(app) -> registry.Runner:
    def run(stop: threading.Event) -> None:
        scheduler.Scheduler(app).run(stop)  # built at each leadership: it sees newly registered jobs

    return run


def _rollout_driver(app) -> registry.Runner:
    """Staged rollouts advance every ``PU_ROLLOUT_TICK_SECONDS`` from stored state (a new leader resumes them),
    run by the scheduler's loop (its metrics, its outage handling), under a lease job of their own."""
    job = scheduler.Job(ROLLOUT_DRIVER, get_settings(app).PU_ROLLOUT_TICK_SECONDS,
                        lambda: rollout_lifecycle.drive_all())

    def run(stop: threading.Event) -> None:
        scheduler.Scheduler(app, jobs={job.name: job}).run(stop)

    return run


def register_leader_jobs(app) -> None:
    registry.register(app, registry.Job(CONSUMER, ConsumerRunner))
    registry.register(app, registry.Job(BROKER_SETUP, _broker_setup))
    registry.register(app, registry.Job(SCHEDULED_JOBS, _scheduled_jobs))
    registry.register(app, registry.Job(ROLLOUT_DRIVER, _rollout_driver))


# --------------------------------------------------------------------------- gunicorn worker hooks
_runtime: Runtime | None = None


def start_in_worker(app=None) -> Runtime:
    """Called from gunicorn's ``post_fork`` in every worker (and usable by any long-running process).

    Starts connecting the worker's MQTT publisher and the contenders for every registered
    job; ``wsgi.py`` then serves this same app object, so a worker keeps one database and
    one Redis pool.
    """
    global _runtime
    if _runtime is None:
        app = app or create_app()
        publisher.connect_early(get_settings(app))
        _runtime = Runtime(app).start()
    return _runtime


def worker_app():
    """The app of this worker's runtime, if ``post_fork`` started one."""
    return _runtime.app if _runtime is not None else None


def stop_in_worker() -> None:
    """Hands every lease back at once (gunicorn's ``worker_exit``)."""
    global _runtime
    if _runtime is not None:
        _runtime.stop()
        _runtime = None
