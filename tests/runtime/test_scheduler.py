"""The leader's scheduler: wall-clock grid, failures isolated, the log expiry job registered."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from pepeunit.extensions import db
from pepeunit.models import LogLevel, UnitLog
from pepeunit.runtime import runner, scheduler
from pepeunit.services import unit_logs

from ..mqtt import world


def test_grid():
    hourly_at_30 = scheduler.Job("x", 3600, lambda: None, offset=1800)
    assert hourly_at_30.next_after(0) == 1800
    assert hourly_at_30.next_after(1800) == 5400
    assert hourly_at_30.next_after(5399.5) == 5400
    assert scheduler.Job("y", 300, lambda: None).next_after(301) == 600


def test_jobs_run_repeatedly_and_a_failure_does_not_stop_the_others(app):
    calls = []

    def boom():
        raise RuntimeError("job failure")

    jobs = {"ok": scheduler.Job("ok", 0.1, lambda: calls.append(1)), "boom": scheduler.Job("boom", 0.1, boom)}
    sched = scheduler.Scheduler(app, jobs)
    stop = threading.Event()
    thread = threading.Thread(target=sched.run, args=(stop,))
    thread.start()
    assert world.wait_until(lambda: len(calls) >= 3 and sched.runs["boom"] >= 3, 10)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_unit_log_expiry_is_registered_and_deletes_expired_rows(app):
    assert scheduler.JOBS["unit_log_expiry"].every == runner.UNIT_LOG_EXPIRY_EVERY
    with app.app_context():
        unit = world.unit(world.user())
        unit_logs.store([unit_logs.LogEntry(unit.uuid, LogLevel.INFO, "old", datetime(2020, 1, 1)),
                         unit_logs.LogEntry(unit.uuid, LogLevel.INFO, "new", datetime(2020, 1, 1))])
        db.session.query(UnitLog).filter(UnitLog.text == "old").update(
            {UnitLog.expiration_datetime: datetime.utcnow() - timedelta(seconds=5)}, synchronize_session=False)
        db.session.commit()
    scheduler.Scheduler(app).run_job("unit_log_expiry")
    with app.app_context():
        assert [r.text for r in db.session.query(UnitLog)] == ["new"]


def test_runtime_in_process_leads_and_hands_over(app, redis_url):
    first = runner.Runtime(app).start()
    second = runner.Runtime(app).start()
    try:
        assert world.wait_until(lambda: first.is_leader or second.is_leader, 10)
        leader, follower = (first, second) if first.is_leader else (second, first)
        assert not follower.is_leader
        assert world.wait_until(lambda: leader.consumer is not None and leader.consumer.subscribed.is_set(), 15)
        leader.stop()
        assert world.wait_until(lambda: follower.is_leader, 10)
        assert world.wait_until(lambda: follower.consumer is not None and follower.consumer.subscribed.is_set(), 15)
    finally:
        first.stop()
        second.stop()
