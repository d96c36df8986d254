"""A rollout's life at service level: real PostgreSQL, real git clone, Update published on Mosquitto."""
import json

from pepeunit.extensions import db
from pepeunit.models import (
    RolloutStageStatus,
    RolloutStatus,
    RolloutUnitStatus,
    Unit,
    UnitFirmwareUpdateStatus,
)
from pepeunit.services import unit_firmware
from pepeunit.services.rollouts import control, lifecycle


def _updated_units(listener, seconds=0.3) -> list[tuple[str, str]]:
    """(unit uuid, PU_COMMIT_VERSION) of every Update seen so far."""
    return [(topic.split("/")[-3], json.loads(payload)["PU_COMMIT_VERSION"])
            for topic, payload in listener.settle(seconds)]


def test_a_good_version_rolls_out_stage_by_stage(fleet, updates):
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(25, 50, 100))
        v2, rollout = fleet.move({"main.py": "print('v2')\n"}, "version two")
        assert rollout.status is RolloutStatus.RUNNING and rollout.target_commit == v2
        assert rollout.from_commit == fleet.v1 and rollout.current_stage == -1
        assert updates.settle(0.3) == [], "the fan-out leaves staged units to the rollout"
        assert all(fleet.target_of(u) == fleet.v1 for u in fleet.units)

        sizes = []
        for stage in range(3):
            lifecycle.drive(rollout.uuid)
            rows = fleet.rows(rollout)
            started = [u for u, r in rows.items() if r.stage_index <= stage]
            sizes.append(len([u for u, r in rows.items() if r.stage_index == stage]))
            assert all(rows[u].sent_at is not None for u in started)
            for unit_uuid, row in rows.items():  # later stages still get version 1 everywhere
                assert fleet.target_of(unit_uuid) == (v2 if row.stage_index <= stage else fleet.v1)
                if row.stage_index > stage:
                    assert row.sent_at is None and row.status is RolloutUnitStatus.WAITING
            seen = _updated_units(updates)
            assert sorted(u for u, _ in seen) == sorted(str(u) for u in started)
            assert {c for _, c in seen} == {v2}
            fleet.report([u for u in started if rows[u].stage_index == stage], v2)
        assert sizes == [2, 2, 4]
        final = lifecycle.drive(rollout.uuid)
        assert final.status is RolloutStatus.COMPLETED and final.finish_datetime is not None
        view = fleet.view(rollout)
        assert [s.status for s in view.stages] == [RolloutStageStatus.PASSED] * 3
        assert sorted(u for s in view.stages for u in s.succeeded) == sorted(fleet.units)
        assert all(fleet.target_of(u) == v2 for u in fleet.units)
        # a completed rollout is not driven again: nothing more is sent
        assert lifecycle.drive_all() == 0 and len(updates.settle(0.3)) == 8


def test_canaries_that_never_report_halt_stage_one_and_roll_back(fleet, updates):
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(25, 50, 100), timeout=30, rollback=True)
        v2, rollout = fleet.move({"main.py": "print('v2')\n"}, "version two")
        lifecycle.drive(rollout.uuid)
        rows = fleet.rows(rollout)
        canaries = [u for u, r in rows.items() if r.stage_index == 0]
        fleet.report(canaries, fleet.v1)  # they keep running version 1: no verdict yet
        assert lifecycle.drive(rollout.uuid).status is RolloutStatus.RUNNING
        halted = lifecycle.drive(rollout.uuid, now=fleet.later(31))
        assert halted.status is RolloutStatus.HALTED and "stage 1 timed out" in halted.halt_reason
        assert halted.rolled_back
        rows = fleet.rows(rollout)
        assert {u for u, r in rows.items() if r.status is RolloutUnitStatus.ROLLING_BACK} == set(canaries)
        assert all(rows[u].rollback_sent_at is not None for u in canaries)
        seen = _updated_units(updates)
        assert {u for u, _ in seen} == {str(u) for u in canaries}, "no unit outside stage 1 got Update"
        assert [c for _, c in seen].count(v2) == 2 and [c for _, c in seen].count(fleet.v1) == 2
        assert all(fleet.target_of(u) == fleet.v1 for u in fleet.units)
        fleet.report(canaries, fleet.v1)
        lifecycle.drive_all()
        view = fleet.view(rollout)
        assert sorted(view.stages[0].rolled_back) == sorted(canaries)
        assert {r.status for r in fleet.rows(rollout).values() if r.stage_index == 0} == {RolloutUnitStatus.ROLLED_BACK}
        assert lifecycle.drive_all() == 0
        # the hourly fan-out does not push the halted version to anyone
        unit_firmware.update_all_auto_repos()
        assert len(updates.settle(0.3)) == 4


def test_an_error_share_above_the_threshold_halts_at_once(fleet, updates):
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(50, 100), threshold=0.25, timeout=600, rollback=False)
        v2, rollout = fleet.move({"main.py": "print('v2')\n"}, "version two")
        lifecycle.drive(rollout.uuid)
        rows = fleet.rows(rollout)
        canaries = sorted(u for u, r in rows.items() if r.stage_index == 0)
        assert len(canaries) == 4
        fleet.report(canaries[:3], v2)
        bad = db.session.get(Unit, canaries[3])
        bad.firmware_update_status = UnitFirmwareUpdateStatus.ERROR
        db.session.commit()
        assert lifecycle.drive(rollout.uuid).status is RolloutStatus.RUNNING  # 1 of 4 is not above 0.25...
        assert fleet.rows(rollout)[canaries[3]].status is RolloutUnitStatus.ERROR
        # ...so stage 1 passes (every unit has a verdict) and stage 2 started
        assert fleet.view(rollout).stages[1].status is RolloutStageStatus.RUNNING
        rows = fleet.rows(rollout)
        second = sorted(u for u, r in rows.items() if r.stage_index == 1)
        for unit_uuid in second[:2]:
            unit = db.session.get(Unit, unit_uuid)
            unit.firmware_update_status = UnitFirmwareUpdateStatus.ERROR
        db.session.commit()
        halted = lifecycle.drive(rollout.uuid)
        assert halted.status is RolloutStatus.HALTED and "above threshold" in halted.halt_reason
        assert not halted.rolled_back and updates.settle(0.3) and len(updates.messages) == 8


def test_the_same_rollout_planned_again_picks_the_same_canaries(fleet):
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(25, 100))
        v2, first = fleet.move({"main.py": "print('v2')\n"}, "version two")
        canaries = {u for u, r in fleet.rows(first).items() if r.stage_index == 0}
        control.abort(fleet.owner, first.uuid)
        # a rollout to the same version again (policy removed and set back: a fresh baseline)
        from pepeunit.models import Rollout

        db.session.delete(db.session.get(Rollout, first.uuid))
        policy = fleet.set_policy(stages=(25, 100))
        policy.baseline_commit = fleet.v1
        db.session.commit()
        again = lifecycle.start_if_moved(fleet.world.repo_uuid)
        assert {u for u, r in fleet.rows(again).items() if r.stage_index == 0} == canaries
        assert len(canaries) == 2


def test_a_newer_version_supersedes_a_running_rollout(fleet, updates):
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(25, 50, 100))
        v2, first = fleet.move({"main.py": "print('v2')\n"}, "version two")
        lifecycle.drive(first.uuid)
        canaries = [u for u, r in fleet.rows(first).items() if r.stage_index == 0]
        fleet.report(canaries, v2)
        v3, second = fleet.move({"main.py": "print('v3')\n"}, "version three")
        db.session.expire_all()
        assert fleet.view(first).status is RolloutStatus.SUPERSEDED
        assert second.uuid != first.uuid and second.target_commit == v3 and second.from_commit == fleet.v1
        rows = fleet.rows(second)
        assert all(rows[u].previous_commit == v2 for u in canaries)
        assert all(rows[u].previous_commit == fleet.v1 for u in fleet.units if u not in canaries)
        assert lifecycle.drive_all() == 1
        assert lifecycle.drive(first.uuid).status is RolloutStatus.SUPERSEDED  # never driven again


def test_a_pinned_unit_is_never_part_of_a_rollout(fleet, updates):
    with fleet.world.app.app_context():
        pinned = db.session.get(Unit, fleet.units[0])
        pinned.is_auto_update_from_repo_unit = False
        pinned.repo_branch, pinned.repo_commit = "main", fleet.v1
        db.session.commit()
        fleet.set_policy(stages=(50, 100))
        v2, rollout = fleet.move({"main.py": "print('v2')\n"}, "version two")
        assert fleet.units[0] not in fleet.rows(rollout) and len(fleet.rows(rollout)) == 7
        for _ in range(2):
            lifecycle.drive(rollout.uuid)
            fleet.report([u for u in fleet.units[1:]], v2)
        assert lifecycle.drive(rollout.uuid).status is RolloutStatus.COMPLETED
        assert str(fleet.units[0]) not in {u for u, _ in _updated_units(updates)}
        assert fleet.target_of(fleet.units[0]) == fleet.v1


def test_a_restarted_driver_never_sends_a_stage_twice(fleet, updates):
    """The stage start is committed before sending; sent units are marked in the send's own commit."""
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(50, 100))
        v2, rollout = fleet.move({"main.py": "print('v2')\n"}, "version two")
        original = lifecycle.send_pending
        lifecycle.send_pending = lambda uuid: 0  # the leader dies right after committing the stage start
        try:
            lifecycle.drive(rollout.uuid)
        finally:
            lifecycle.send_pending = original
        assert updates.settle(0.3) == []
        rows = fleet.rows(rollout)
        assert all(r.status is RolloutUnitStatus.UPDATING and r.sent_at is None
                   for r in rows.values() if r.stage_index == 0)
        # the next leader: sends stage 1 once, even when driven repeatedly
        for _ in range(3):
            lifecycle.drive_all()
        seen = _updated_units(updates)
        assert len(seen) == 4 and len({u for u, _ in seen}) == 4
        assert fleet.view(rollout).current_stage == 0
