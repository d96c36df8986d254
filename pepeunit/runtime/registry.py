"""The background jobs of an app, registered by the packages that own them.

A ``Job`` says what to run and under which lease. ``start(app)`` is called once when a
worker's runtime starts: it returns the job's runner, ``run(stop)``, or ``None`` when the job
is off for this app (and logs why). The runner is called every time this process takes the
job's lease and must return soon after ``stop`` is set. Jobs sharing a lease run together,
in the order they were registered, in the one process holding it.

``pepeunit.create_app`` registers every job: the runtime's own (MQTT consumer, broker
set-up, scheduled jobs, under the ``leader`` lease) and the bot's Telegram job (its own lease).
The runtime only reads this registry; it never imports the packages that fill it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

Runner = Callable[[threading.Event], None]
EXTENSION = "pepeunit_runtime_jobs"


@dataclass(frozen=True)
class Lease:
    """An elected role; its Redis key is scoped by instance (``PU_DOMAIN``).

    ``ttl_ms`` is how long a dead holder keeps it (None: ``PU_LEADER_LEASE_SECONDS``).
    """

    name: str
    ttl_ms: int | None = None


LEADER = Lease("leader")


@dataclass(frozen=True)
class Job:
    name: str
    start: Callable[[object], Runner | None]
    lease: Lease = LEADER


def register(app, job: Job) -> Job:
    """Add (or replace, by name) a background job of ``app``."""
    app.extensions.setdefault(EXTENSION, {})[job.name] = job
    return job


def registered(app) -> list[Job]:
    """The app's jobs in registration order."""
    return list(app.extensions.get(EXTENSION, {}).values())
