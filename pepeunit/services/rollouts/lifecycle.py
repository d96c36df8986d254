"""A rollout's life, driven by the leader from stored state only.

``start_if_moved`` opens a rollout when a repo with a policy has a new target (superseding a
running one). ``drive`` decides under the rollout's row lock and commits the decision (a stage
start, a pass, a halt with its roll-back marks) before anything is sent; ``send_pending`` then
sends ``Update`` unit by unit, each row locked while its message goes out and marked
``sent_at`` in the same commit. A new leader therefore resumes where the old one stopped: a
started stage is never started again, a sent unit never sent again.

A stage passes when every unit of it reported a verdict and the share of ``Error`` among the
units updated so far is at most the threshold (threshold 0: every unit must succeed). Above the
threshold the rollout halts at once; a stage past its deadline halts it too.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from ...errors import GitRepoError, MqttError, PepeunitError, ServiceUnavailableError
from ...extensions import db, get_settings
from ...models import (
    ACTIVE_ROLLOUT,
    BackendTopicCommand,
    Repo,
    Rollout,
    RolloutPolicy,
    RolloutStage,
    RolloutStageStatus,
    RolloutStatus,
    RolloutUnit,
    RolloutUnitStatus,
    Unit,
    UnitFirmwareUpdateStatus,
)
from ...models.columns import utcnow
from .. import acl_generation
from ..target_version import repo_target
from ..unit_commands import command_to_unit
from ..units import resync
from . import effective, planning

log = logging.getLogger(__name__)
VERDICT = (RolloutUnitStatus.SUCCESS, RolloutUnitStatus.ERROR)


# ---------------------------------------------------------------------------- starting
def start_if_moved(repo_uuid, now=None) -> Rollout | None:
    """A new rollout when the repo's target is not the latest rollout's (or the baseline); commits."""
    policy = db.session.get(RolloutPolicy, repo_uuid, with_for_update=True)  # one starter per repo
    if policy is None:
        return None
    repo = db.session.get(Repo, repo_uuid)
    try:
        target = repo_target(repo)
    except GitRepoError as error:
        db.session.rollback()
        log.info("repo %s: no target version (%s); no rollout", repo_uuid, error)
        return None
    latest = effective.latest_rollout(repo_uuid)
    current = latest.target_commit if latest is not None else policy.baseline_commit
    if target.commit == current:
        db.session.rollback()
        return None
    now = now or utcnow()
    units = db.session.execute(sa.select(Unit).where(
        Unit.repo_uuid == repo_uuid, Unit.is_auto_update_from_repo_unit.is_(True))).scalars().all()
    previous = {u.uuid: effective.version_in(latest, policy, u.uuid) for u in units}
    from_commit, from_tag = effective.settled_version(policy, latest)
    if latest is not None and latest.status in ACTIVE_ROLLOUT:
        finish(latest, RolloutStatus.SUPERSEDED, f"superseded by version {target.commit}", now)
    rollout = Rollout(repo_uuid=repo_uuid, status=RolloutStatus.RUNNING, from_commit=from_commit,
                      from_tag=from_tag, target_commit=target.commit, target_tag=target.tag, current_stage=-1,
                      failure_threshold=policy.failure_threshold, stage_timeout_seconds=policy.stage_timeout_seconds,
                      auto_rollback=policy.auto_rollback, rolled_back=False, create_datetime=now)
    db.session.add(rollout)
    db.session.flush()
    window = timedelta(seconds=2 * get_settings().PU_STATE_SEND_INTERVAL)
    stages = planning.plan(repo_uuid, target.commit, [(u.uuid, u.last_update_datetime) for u in units],
                           list(policy.stages), now, window)
    for index, (percent, members) in enumerate(stages):
        db.session.add(RolloutStage(rollout_uuid=rollout.uuid, index=index, percent=percent,
                                    status=RolloutStageStatus.WAITING))
        for unit_uuid in members:
            commit, tag = previous[unit_uuid]
            db.session.add(RolloutUnit(rollout_uuid=rollout.uuid, unit_uuid=unit_uuid, stage_index=index,
                                       previous_commit=commit or from_commit, previous_tag=tag if commit else from_tag,
                                       status=RolloutUnitStatus.WAITING))
    if not stages:
        finish(rollout, RolloutStatus.COMPLETED, None, now)
    db.session.commit()
    log.info("rollout %s of repo %s to %s: %s stages", rollout.uuid, repo_uuid, target.commit, len(stages))
    return rollout


def managed_units(repo_uuid) -> set:
    """Units the repo's unfinished latest rollout sends to (the all-at-once fan-out leaves them alone)."""
    latest = effective.latest_rollout(repo_uuid)
    if latest is None or latest.status is RolloutStatus.COMPLETED:
        return set()
    return set(db.session.execute(sa.select(RolloutUnit.unit_uuid)
                                  .where(RolloutUnit.rollout_uuid == latest.uuid)).scalars())


# ---------------------------------------------------------------------------- state changes
def finish(rollout: Rollout, status, reason: str | None, now=None) -> None:
    """End ``rollout`` (caller commits); a running stage ends Failed unless the rollout completed."""
    now = now or utcnow()
    rollout.status = RolloutStatus(status)
    rollout.halt_reason = reason
    rollout.finish_datetime = now
    rollout.paused_at = None
    for stage in stages_of(rollout):
        if stage.status is RolloutStageStatus.RUNNING:
            stage.status = RolloutStageStatus.FAILED
            stage.finish_datetime = now


def halt(rollout: Rollout, reason: str, now=None) -> None:
    """Stop updating; with roll-back on, every unit already sent is marked to go back (caller commits)."""
    finish(rollout, RolloutStatus.HALTED, reason, now)
    if rollout.auto_rollback:
        rollout.rolled_back = True
        for row in units_of(rollout):
            if row.stage_index <= rollout.current_stage and row.sent_at is not None:
                row.status = RolloutUnitStatus.ROLLING_BACK
    log.warning("rollout %s halted: %s", rollout.uuid, reason)


def stages_of(rollout: Rollout) -> list[RolloutStage]:
    return db.session.execute(sa.select(RolloutStage).where(RolloutStage.rollout_uuid == rollout.uuid)
                              .order_by(RolloutStage.index)).scalars().all()


def units_of(rollout: Rollout) -> list[RolloutUnit]:
    return db.session.execute(sa.select(RolloutUnit).where(RolloutUnit.rollout_uuid == rollout.uuid)
                              .order_by(RolloutUnit.stage_index, RolloutUnit.unit_uuid)).scalars().all()


def _start_stage(rollout: Rollout, stage: RolloutStage, now) -> None:
    rollout.current_stage = stage.index
    stage.status = RolloutStageStatus.RUNNING
    stage.started_at = now
    stage.deadline_at = now + timedelta(seconds=rollout.stage_timeout_seconds)
    for row in units_of(rollout):
        if row.stage_index == stage.index:
            row.status = RolloutUnitStatus.UPDATING


def _observe(rollout: Rollout, rows: list[RolloutUnit]) -> None:
    """Verdicts from what the units reported (``Unit.current_commit_version``, ``firmware_update_status``)."""
    for row in rows:
        if row.sent_at is None and row.rollback_sent_at is None:
            continue
        unit = db.session.get(Unit, row.unit_uuid)
        if row.status is RolloutUnitStatus.UPDATING:
            if unit.current_commit_version == rollout.target_commit:
                row.status = RolloutUnitStatus.SUCCESS
            elif unit.firmware_update_status is UnitFirmwareUpdateStatus.ERROR:
                row.status, row.error = RolloutUnitStatus.ERROR, unit.firmware_update_error
        elif (row.status is RolloutUnitStatus.ROLLING_BACK and row.rollback_sent_at is not None
              and unit.current_commit_version == row.previous_commit):
            row.status = RolloutUnitStatus.ROLLED_BACK


def _decide(rollout: Rollout, now) -> None:
    stages = stages_of(rollout)
    rows = units_of(rollout)
    _observe(rollout, rows)
    if rollout.status is not RolloutStatus.RUNNING:
        return
    if rollout.current_stage < 0:
        _start_stage(rollout, stages[0], now)
        return
    stage = stages[rollout.current_stage]
    updated = [r for r in rows if r.stage_index <= rollout.current_stage]
    errors = sum(r.status is RolloutUnitStatus.ERROR for r in updated)
    share = errors / len(updated) if updated else 0.0
    if share > rollout.failure_threshold:
        halt(rollout, f"stage {stage.index + 1}: {errors} of {len(updated)} updated units failed "
                      f"(share {share:.2f} above threshold {rollout.failure_threshold})", now)
        return
    members = [r for r in rows if r.stage_index == stage.index]
    if all(r.status in VERDICT for r in members):
        stage.status, stage.finish_datetime = RolloutStageStatus.PASSED, now
        if stage.index + 1 < len(stages):
            _start_stage(rollout, stages[stage.index + 1], now)
        else:
            finish(rollout, RolloutStatus.COMPLETED, None, now)
        return
    if stage.deadline_at is not None and now >= stage.deadline_at:
        waiting = sum(r.status not in VERDICT for r in members)
        halt(rollout, f"stage {stage.index + 1} timed out after {rollout.stage_timeout_seconds}s: "
                      f"{waiting} of {len(members)} units did not report the new version", now)


# ---------------------------------------------------------------------------- driving
def drive(rollout_uuid, now=None) -> Rollout | None:
    """One step: decide and commit under the rollout's lock, then send what the decision released."""
    rollout = db.session.execute(sa.select(Rollout).where(Rollout.uuid == rollout_uuid)
                                 .with_for_update(skip_locked=True)).scalar_one_or_none()
    if rollout is None:  # gone, or another process holds it this instant
        db.session.rollback()
        return None
    _decide(rollout, now or utcnow())
    db.session.commit()
    send_pending(rollout_uuid)
    return db.session.get(Rollout, rollout_uuid)


def drive_all(now=None) -> int:
    """The leader's job: every running rollout, and every halted one still rolling back."""
    rolling_back = sa.exists().where(RolloutUnit.rollout_uuid == Rollout.uuid,
                                     RolloutUnit.status == RolloutUnitStatus.ROLLING_BACK)
    uuids = db.session.execute(sa.select(Rollout.uuid).where(sa.or_(
        Rollout.status == RolloutStatus.RUNNING,
        sa.and_(Rollout.status == RolloutStatus.HALTED, rolling_back))).order_by(Rollout.create_datetime)).scalars().all()
    db.session.rollback()
    for uuid in uuids:
        try:
            drive(uuid, now)
        except Exception:  # one rollout's trouble never stops the others
            db.session.rollback()
            log.exception("rollout %s: step failed", uuid)
    return len(uuids)


def _next_to_send(rollout_uuid):
    forward = sa.and_(Rollout.status == RolloutStatus.RUNNING, RolloutUnit.sent_at.is_(None),
                      RolloutUnit.stage_index <= Rollout.current_stage,
                      RolloutUnit.status == RolloutUnitStatus.UPDATING)
    back = sa.and_(RolloutUnit.status == RolloutUnitStatus.ROLLING_BACK, RolloutUnit.rollback_sent_at.is_(None))
    return db.session.execute(
        sa.select(RolloutUnit).join(Rollout, Rollout.uuid == RolloutUnit.rollout_uuid)
        .where(RolloutUnit.rollout_uuid == rollout_uuid, sa.or_(forward, back))
        .order_by(RolloutUnit.stage_index, RolloutUnit.unit_uuid).limit(1)
        .with_for_update(of=RolloutUnit, skip_locked=True)).scalar_one_or_none()


def send_pending(rollout_uuid) -> int:
    """Send every released unit its ``Update``; a broker outage leaves the rest for the next step."""
    sent = 0
    while True:
        row = _next_to_send(rollout_uuid)
        if row is None:
            db.session.rollback()
            return sent
        key, back = (row.rollout_uuid, row.unit_uuid), row.status is RolloutUnitStatus.ROLLING_BACK
        try:
            _send(row, back)
            sent += 1
        except (MqttError, ServiceUnavailableError) as error:
            db.session.rollback()
            row = db.session.get(RolloutUnit, key)
            row.rollback_sent_at = None if back else row.rollback_sent_at
            row.sent_at = row.sent_at if back else None
            db.session.commit()
            log.warning("rollout %s: Update to unit %s not sent (%s); retried next step", *key, error)
            return sent
        except PepeunitError as error:  # the unit's version cannot be built: a verdict, not a retry
            db.session.rollback()
            row = db.session.get(RolloutUnit, key)
            row.status, row.error = RolloutUnitStatus.ERROR, error.message
            row.sent_at = row.sent_at or utcnow()
            if back:
                row.rollback_sent_at = utcnow()
            db.session.commit()


def _send(row: RolloutUnit, back: bool) -> None:
    """The row stays locked while Update goes out; ``command_to_unit`` commits it with the unit's status."""
    unit = db.session.get(Unit, row.unit_uuid)
    if back:
        row.rollback_sent_at = utcnow()
    else:
        row.sent_at = utcnow()
    resync(unit)
    if not command_to_unit(unit, BackendTopicCommand.UPDATE):
        row.status, row.error = RolloutUnitStatus.ERROR, "the unit's schema has no Update command topic"
        db.session.commit()
    acl_generation.bump()
