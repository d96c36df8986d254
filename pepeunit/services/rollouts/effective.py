"""The version a unit following a repo with a rollout policy should run, from stored state only.

- no policy: ``None`` (v1.2: the repo's target);
- no rollout yet: the baseline recorded with the policy;
- the latest rollout completed: its target;
- otherwise the unit's row in the latest rollout: the target once its stage started, the
  version it ran before while it waits or after a roll-back; a unit outside the rollout keeps
  the version the rollout started from.
"""
from __future__ import annotations

import sqlalchemy as sa

from ...extensions import db
from ...models import Rollout, RolloutPolicy, RolloutStatus, RolloutUnit, RolloutUnitStatus

BACK = (RolloutUnitStatus.ROLLING_BACK, RolloutUnitStatus.ROLLED_BACK)


def latest_rollout(repo_uuid) -> Rollout | None:
    return db.session.execute(
        sa.select(Rollout).where(Rollout.repo_uuid == repo_uuid)
        .order_by(Rollout.create_datetime.desc(), Rollout.uuid).limit(1)).scalar_one_or_none()


def settled_version(policy: RolloutPolicy, rollout: Rollout | None) -> tuple[str | None, str | None]:
    """What the fleet was moving from, for a new rollout following ``rollout``."""
    if rollout is None:
        return policy.baseline_commit, policy.baseline_tag
    if rollout.status is RolloutStatus.COMPLETED:
        return rollout.target_commit, rollout.target_tag
    return rollout.from_commit, rollout.from_tag


def version_in(rollout: Rollout | None, policy: RolloutPolicy, unit_uuid) -> tuple[str | None, str | None]:
    """(commit, tag) the unit should run under ``rollout`` (the repo's latest), commit None: unknown."""
    if rollout is None:
        return policy.baseline_commit, policy.baseline_tag
    if rollout.status is RolloutStatus.COMPLETED:
        return rollout.target_commit, rollout.target_tag
    row = db.session.get(RolloutUnit, (rollout.uuid, unit_uuid))
    if row is None:
        return rollout.from_commit, rollout.from_tag
    if row.status in BACK or row.stage_index > rollout.current_stage:
        return row.previous_commit, row.previous_tag
    return rollout.target_commit, rollout.target_tag


def unit_version(unit, repo) -> tuple[str, str | None] | None:
    """None: the v1.2 rules apply (no policy, or nothing known to stage from)."""
    policy = db.session.get(RolloutPolicy, repo.uuid)
    if policy is None:
        return None
    commit, tag = version_in(latest_rollout(repo.uuid), policy, unit.uuid)
    return (commit, tag) if commit else None
