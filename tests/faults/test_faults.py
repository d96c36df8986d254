"""Issue 12: the backend under load while its own PostgreSQL, Redis and broker fail, and its leader dies
or is doubled. After each fault, with gunicorn never restarted:

- every log line whose PUBACK a unit received is stored exactly once (rows counted by their unique
  text against the acknowledged messages), and nothing is stored twice;
- the REST and GraphQL answers were only 2xx, or 503 with a JSON body (never 500, never HTML);
- no answer took longer than the configured timeouts plus a margin (``SLOWEST_ANSWER``);
- exactly one worker holds the lease, and REST answers again.

The scenarios share one stack (``conftest.stack``) and run in file order.
"""
from __future__ import annotations

import collections
import os
import signal
import time

from tests.faults.load import RestLoad, Units
from tests.faults.stack import SLOWEST_ANSWER, Stack, pid_alive
from tests.helpers import PASSWORD, wait_until

OUTAGE = 10  # s PostgreSQL or Redis is stopped or frozen
BROKER_OUTAGE = 12  # s the broker is stopped


def _bad(answer) -> bool:
    return not (200 <= answer.status < 300 or (answer.status == 503 and answer.json_body))


def _stored_settles(stack: Stack, tag: str, acknowledged: set[str], timeout: float = 40.0) -> list[str]:
    """The tag's stored lines once every acknowledged one is there and the count held still for 2 s
    (a late redelivery would show up as a duplicate)."""
    end = time.monotonic() + timeout
    stored, stable_since = None, time.monotonic()
    while time.monotonic() < end:
        rows = stack.stored_logs(tag)
        if stored is None or len(rows) != len(stored):
            stored, stable_since = rows, time.monotonic()
        elif acknowledged <= set(rows) and time.monotonic() - stable_since >= 2:
            break
        time.sleep(0.25)
    return stored


def _run(stack: Stack, tag: str, fault, *, expect_503: bool = True, replaces_worker: bool = False,
         excused=lambda answer: False) -> dict:
    """Load, ``fault()`` (returns when the fault is over), recovery, then the checks every scenario shares.
    ``excused(answer)``: the scenario's own reason an answer may be slow or missing (its process was
    frozen or killed under it)."""
    master, workers = stack.server.proc.pid, stack.server.worker_pids()
    units = Units(stack.broker.port, stack.settings.PU_DOMAIN, stack.units, tag).start()
    rest = RestLoad(stack.server.url, stack.login, PASSWORD, stack.token)
    rest.start()
    time.sleep(2)
    fault_started = time.monotonic()
    fault()
    fault_ended = time.monotonic()
    assert wait_until(stack.answers_ok, 30, 0.2), "REST did not answer 200 within 30 s of the fault's end"
    time.sleep(2)
    rest.stop()
    units.stop()
    acknowledged, sent = units.acknowledged(), units.texts()
    stored = _stored_settles(stack, tag, acknowledged)
    counts = collections.Counter(stored)

    duplicates = sorted(text for text, n in counts.items() if n > 1)
    lost = sorted(acknowledged - set(counts))
    assert not duplicates, f"{len(duplicates)} lines stored twice or more: {duplicates[:10]}"
    assert not lost, f"{len(lost)} acknowledged lines never stored: {lost[:10]}"
    assert set(counts) <= sent
    assert len(acknowledged) > 100, f"only {len(acknowledged)} messages acknowledged: the load did not run"

    answers = [a for a in rest.answers if not excused(a)]
    bad = [a for a in answers if _bad(a)]
    assert not bad, f"{len(bad)} answers neither 2xx nor JSON 503: {bad[:5]}"
    slow = [a for a in answers if a.seconds > SLOWEST_ANSWER]
    assert not slow, f"{len(slow)} answers slower than {SLOWEST_ANSWER}s: {slow[:5]}"
    during = [a for a in rest.answers if fault_started <= a.at <= fault_ended]
    refused = sum(a.status == 503 for a in during)
    if expect_503:
        assert refused, "no 503 during the outage: the fault did not reach the backend"
    else:
        assert refused == 0, f"{refused} answers 503 though this outage touches none of the calls made"

    assert stack.server.proc.poll() is None and stack.server.proc.pid == master, "gunicorn was restarted"
    now_workers = stack.server.worker_pids()
    if not replaces_worker:
        assert now_workers == workers, f"workers changed {workers} -> {now_workers}"
    assert wait_until(lambda: stack.leader_pid() in stack.server.worker_pids(), 15, 0.2), "no live leader"
    figures = {"acknowledged": len(acknowledged), "sent": len(sent), "stored": len(stored),
               "answers": len(rest.answers), "503": sum(a.status == 503 for a in rest.answers),
               "slowest_s": round(max(a.seconds for a in answers), 2)}
    print(f"\n[{tag}] {figures}")
    return figures


def test_postgresql_stopped_then_restarted(stack):
    def fault():
        stack.postgres.stop()
        time.sleep(OUTAGE)
        stack.postgres.start()
    _run(stack, "pg-stop", fault)


def test_postgresql_frozen(stack):
    def fault():
        stack.postgres.freeze()
        time.sleep(OUTAGE)
        stack.postgres.thaw()
    _run(stack, "pg-freeze", fault)


def test_redis_killed_and_restarted_empty(stack):
    """Also: the lease's generation counter is lost with Redis, yet the next leader's fencing token must
    be newer than the one the database stored, or all its batches are refused as a deposed leader's."""
    before = stack.fence_generation()
    assert before is not None

    def fault():
        stack.redis.kill()
        time.sleep(5)
        stack.redis.start()
        assert stack.redis.client().dbsize() <= 2  # empty but for what the backend wrote since
    _run(stack, "redis-kill", fault)
    assert stack.fence_generation() > before


def test_redis_frozen(stack):
    def fault():
        stack.redis.freeze()
        time.sleep(OUTAGE)
        stack.redis.thaw()
    _run(stack, "redis-freeze", fault)


def test_broker_stopped_keeps_mqtt5(stack):
    before = len(stack.backend_connections())
    assert before and all("(p5," in line for line in stack.backend_connections())

    def fault():
        stack.broker.stop()
        time.sleep(BROKER_OUTAGE)
        stack.broker.start()
        assert wait_until(lambda: len(stack.backend_connections()) > before, 20, 0.2), "consumer never reconnected"

    # none of the load's calls publishes: a broker outage must not slow or refuse them
    _run(stack, "broker-stop", fault, expect_503=False)
    after = stack.backend_connections()[before:]
    assert after and all("(p5," in line for line in after), f"the consumer reconnected without MQTT 5: {after}"
    assert "broker refuses MQTT 5" not in stack.gunicorn_log()


def test_leader_killed(stack):
    killed = {}

    def fault():
        pid = stack.leader_pid()
        assert pid in stack.server.worker_pids()
        killed.update(pid=pid, at=time.monotonic())
        os.kill(pid, signal.SIGKILL)
        assert wait_until(lambda: stack.leader_pid() not in (None, pid), 20, 0.1), "no new leader in 20 s"
        time.sleep(3)

    def cut_off(answer):  # a request the killed worker was serving: its connection is reset
        return answer.status == 0 and answer.at <= killed["at"] <= answer.at + answer.seconds

    _run(stack, "leader-kill", fault, expect_503=False, replaces_worker=True, excused=cut_off)
    assert not pid_alive(killed["pid"]) or killed["pid"] not in stack.server.worker_pids()


def test_two_leaders_overlap_without_duplicates(stack):
    """The leader frozen past its lease: another worker takes over, then the old one wakes up still
    believing it leads, mid-batch perhaps. Fencing must refuse its writes."""
    frozen = {}

    def fault():
        pid = stack.leader_pid()
        assert pid in stack.server.worker_pids()
        os.kill(pid, signal.SIGSTOP)
        frozen.update(pid=pid, at=time.monotonic())
        try:
            assert wait_until(lambda: stack.leader_pid() not in (None, pid), 20, 0.1), "nobody took the lease"
            time.sleep(3)  # the new leader consumes while the old one is frozen
        finally:
            os.kill(pid, signal.SIGCONT)
            frozen["until"] = time.monotonic()
        time.sleep(3)
        assert stack.leader_pid() != pid

    def on_frozen_worker(answer):  # served by the frozen process: as slow as the freeze, not an outage
        return answer.at <= frozen["until"] and answer.at + answer.seconds >= frozen["at"]

    _run(stack, "overlap", fault, expect_503=False, excused=on_frozen_worker)
