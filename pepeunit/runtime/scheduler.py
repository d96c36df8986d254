"""Periodic jobs run by the leader only: register by name, run on a wall-clock grid.

``register("unit_log_expiry", every=300, func=...)`` runs ``func()`` inside an app
context every 300 s; ``offset`` shifts the grid (``every=3600, offset=1800`` = at
minute 30 of every hour). A failing job is logged and runs again at its next slot.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .. import outages
from ..observability import prometheus_metrics as figures

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: float
    func: Callable[[], object]
    offset: float = 0.0

    def next_after(self, now: float) -> float:
        slots = math.floor((now - self.offset) / self.every) + 1
        return slots * self.every + self.offset


JOBS: dict[str, Job] = {}


def register(name: str, every: float, func: Callable[[], object], offset: float = 0.0) -> Job:
    """Add (or replace) a job; jobs registered after the leader started run from its next leadership."""
    if every <= 0:
        raise ValueError("every must be > 0")
    job = Job(name, float(every), func, float(offset))
    JOBS[name] = job
    return job


class Scheduler:
    def __init__(self, app, jobs: dict[str, Job] | None = None, clock: Callable[[], float] = time.time):
        self.app = app
        self.jobs = dict(JOBS if jobs is None else jobs)
        self.clock = clock
        self.runs: dict[str, int] = {name: 0 for name in self.jobs}

    def run(self, stop: threading.Event) -> None:
        due = {name: job.next_after(self.clock()) for name, job in self.jobs.items()}
        while not stop.is_set() and due:
            name = min(due, key=due.get)
            if stop.wait(max(0.0, due[name] - self.clock())):
                return
            self.run_job(name)
            due[name] = self.jobs[name].next_after(self.clock())

    def run_job(self, name: str) -> None:
        job = self.jobs[name]
        started = time.monotonic()
        with self.app.app_context():
            from ..extensions import db

            try:
                result = job.func()
                log.info("job %s done in %.2fs: %s", name, time.monotonic() - started, result)
            except Exception as exc:
                db.session.rollback()
                figures.JOB_FAILURES.labels(name).inc()
                dependency = outages.dependency_of(exc)
                if dependency:  # an outage, already logged by its tracker: one line, no traceback
                    log.warning("job %s not run: %s is unavailable", name, dependency)
                else:
                    log.exception("job %s failed", name)
            finally:
                self.runs[name] = self.runs.get(name, 0) + 1
                figures.JOB_RUNS.labels(name).inc()
                db.session.remove()
