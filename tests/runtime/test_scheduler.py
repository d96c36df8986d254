"""The leader's scheduler: wall-clock grid, failures isolated, the log expiry job registered."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from pepeunit.extensions import db
from pepeunit.models import LogLevel, UnitLog
from pepeunit.runtime import runner, scheduler
from pepeunit.services import unit_logs

from .. import world
from ..helpers import wait_until


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
    assert wait_until(lambda: len(calls) >= 3 and sched.runs["boom"] >= 3, 10)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_job_failing_for_an_outage_logs_one_line_without_traceback(app, caplog):
    import redis

    def bug():
        raise RuntimeError("a real bug")

    def outage():
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    sched = scheduler.Scheduler(app, {"bug": scheduler.Job("bug", 60, bug), "outage": scheduler.Job("outage", 60, outage)})
    with caplog.at_level("INFO", logger="pepeunit.runtime.scheduler"):
        sched.run_job("bug")
        sched.run_job("outage")
    [bug_line, outage_line] = caplog.records
    assert bug_line.levelname == "ERROR" and bug_line.exc_info and bug_line.getMessage() == "job bug failed"
    assert outage_line.levelname == "WARNING" and not outage_line.exc_info
    assert outage_line.getMessage() == "job outage not run: Redis is unavailable"


def test_unit_log_expiry_is_registered_and_deletes_expired_rows(app):
    assert scheduler.JOBS["unit_log_expiry"].every == 300
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
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
        assert wait_until(lambda: first.is_leader or second.is_leader, 10)
        leader, follower = (first, second) if first.is_leader else (second, first)
        assert not follower.is_leader
        assert wait_until(lambda: leader.consumer is not None and leader.consumer.subscribed.is_set(), 15)
        leader.stop()
        assert wait_until(lambda: follower.is_leader, 10)
        assert wait_until(lambda: follower.consumer is not None and follower.consumer.subscribed.is_set(), 15)
    finally:
        first.stop()
        second.stop()


def test_every_periodic_job_is_registered_on_its_grid():
    jobs = scheduler.JOBS
    assert {"unit_log_expiry", "repo_auto_update", "registry_sync", "firmware_update_timeout"} <= set(jobs)
    assert (jobs["repo_auto_update"].every, jobs["repo_auto_update"].offset) == (3600, 0)
    assert (jobs["registry_sync"].every, jobs["registry_sync"].offset) == (3600, 1800)


def test_stalled_firmware_update_becomes_error(app, settings):
    from pepeunit.models import Unit, UnitFirmwareUpdateStatus

    with app.app_context():
        stalled, fresh = world.unit(world.user(bare=True), bare=True), world.unit(world.user(bare=True), bare=True)
        for unit, age in ((stalled, 2 * settings.PU_STATE_SEND_INTERVAL + 5), (fresh, 1)):
            unit.firmware_update_status = UnitFirmwareUpdateStatus.REQUEST_SENT
            unit.last_firmware_update_datetime = datetime.utcnow() - timedelta(seconds=age)
        db.session.commit()
        ids = stalled.uuid, fresh.uuid
    scheduler.Scheduler(app).run_job("firmware_update_timeout")
    with app.app_context():
        stalled, fresh = (db.session.get(Unit, i) for i in ids)
        assert stalled.firmware_update_status is UnitFirmwareUpdateStatus.ERROR
        assert stalled.firmware_update_error.startswith("422: 11: Update Error: Device firmware update time")
        assert fresh.firmware_update_status is UnitFirmwareUpdateStatus.REQUEST_SENT
