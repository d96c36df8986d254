"""What operators do with rollouts: read them (anyone who sees the repo), pause, resume and abort
(the repo's creator or an Admin). Every door calls these."""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ...errors import ValidationError, not_found
from ...extensions import db
from ...models import (
    ACTIVE_ROLLOUT,
    PermissionEntities,
    Repo,
    Rollout,
    RolloutStageStatus,
    RolloutStatus,
    RolloutUnitStatus,
    VisibilityLevel,
)
from ...models.columns import utcnow
from .. import access
from ..agents import Agent
from ..listing import Page, fetch_page, in_enum
from . import lifecycle
from .effective import latest_rollout
from .policy import controlled_repo, readable_repo

SUCCEEDED = (RolloutUnitStatus.SUCCESS,)
FAILED = (RolloutUnitStatus.ERROR,)
WAITING = (RolloutUnitStatus.WAITING, RolloutUnitStatus.UPDATING)
BACK = (RolloutUnitStatus.ROLLING_BACK, RolloutUnitStatus.ROLLED_BACK)


@dataclass
class RolloutUnitView:
    unit_uuid: uuid_module.UUID
    status: RolloutUnitStatus
    previous_commit: str | None
    error: str | None
    sent_at: datetime | None


@dataclass
class RolloutStageView:
    index: int
    percent: int
    status: RolloutStageStatus
    started_at: datetime | None
    deadline_at: datetime | None
    finish_datetime: datetime | None
    units: list[RolloutUnitView]

    def _having(self, statuses) -> list:
        return [u.unit_uuid for u in self.units if u.status in statuses]

    @property
    def succeeded(self) -> list:
        return self._having(SUCCEEDED)

    @property
    def failed(self) -> list:
        return self._having(FAILED)

    @property
    def waiting(self) -> list:
        return self._having(WAITING)

    @property
    def rolled_back(self) -> list:
        return self._having(BACK)


@dataclass
class RolloutView:
    rollout: Rollout
    stages: list[RolloutStageView]

    def __getattr__(self, name):  # the rollout's columns read through
        return getattr(self.rollout, name)


def view_of(rollout: Rollout) -> RolloutView:
    rows = lifecycle.units_of(rollout)
    stages = [RolloutStageView(s.index, s.percent, s.status, s.started_at, s.deadline_at, s.finish_datetime,
                               [RolloutUnitView(r.unit_uuid, r.status, r.previous_commit, r.error, r.sent_at)
                                for r in rows if r.stage_index == s.index])
              for s in lifecycle.stages_of(rollout)]
    return RolloutView(rollout, stages)


def _rollout(uuid) -> Rollout:
    rollout = db.session.get(Rollout, uuid)
    if rollout is None:
        raise not_found()
    return rollout


def get(agent: Agent, uuid) -> RolloutView:
    rollout = _rollout(uuid)
    readable_repo(agent, rollout.repo_uuid)
    return view_of(rollout)


@dataclass
class RolloutFilter:
    page: Page = field(default_factory=Page)
    repo_uuid: uuid_module.UUID | None = None
    status: list | None = field(default_factory=lambda: list(RolloutStatus))


def list_(agent: Agent, filters: RolloutFilter) -> tuple[int, list[RolloutView]]:
    """Rollouts of the repos the caller sees, newest first."""
    access.require(agent, access.AgentType.ANONYMOUS, access.AgentType.USER)
    query = sa.select(Rollout).join(Repo, Repo.uuid == Rollout.repo_uuid).where(
        access.visibility_clause(agent, Repo, PermissionEntities.REPO, list(VisibilityLevel)),
        in_enum(Rollout.status, filters.status))
    if filters.repo_uuid is not None:
        readable_repo(agent, filters.repo_uuid)
        query = query.where(Rollout.repo_uuid == filters.repo_uuid)
    count, rows = fetch_page(query.order_by(Rollout.create_datetime.desc()), filters.page, Rollout.uuid)
    return count, [view_of(r) for r in rows]


def list_for_repo(agent: Agent, repo_uuid, page: Page | None = None) -> tuple[int, list[RolloutView]]:
    return list_(agent, RolloutFilter(page=page or Page(), repo_uuid=repo_uuid))


def _controlled(agent: Agent, uuid) -> Rollout:
    rollout = _rollout(uuid)
    controlled_repo(agent, rollout.repo_uuid)
    return db.session.execute(sa.select(Rollout).where(Rollout.uuid == rollout.uuid)
                              .with_for_update()).scalar_one()


def _require_status(rollout: Rollout, action: str, *allowed) -> None:
    if rollout.status not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise ValidationError(f"Rollout is {rollout.status.value}: only a {names} rollout can be {action}")


def pause(agent: Agent, uuid) -> RolloutView:
    rollout = _controlled(agent, uuid)
    _require_status(rollout, "paused", RolloutStatus.RUNNING)
    rollout.status, rollout.paused_at = RolloutStatus.PAUSED, utcnow()
    db.session.commit()
    return view_of(rollout)


def resume(agent: Agent, uuid) -> RolloutView:
    """The running stage's deadline moves by the time spent paused."""
    rollout = _controlled(agent, uuid)
    _require_status(rollout, "resumed", RolloutStatus.PAUSED)
    now = utcnow()
    paused_for = now - (rollout.paused_at or now)
    for stage in lifecycle.stages_of(rollout):
        if stage.status is RolloutStageStatus.RUNNING and stage.deadline_at is not None:
            stage.deadline_at = stage.deadline_at + paused_for
    rollout.status, rollout.paused_at = RolloutStatus.RUNNING, None
    db.session.commit()
    return view_of(rollout)


def abort(agent: Agent, uuid) -> RolloutView:
    """No more units are updated; units already moved keep the new version (no roll-back)."""
    rollout = _controlled(agent, uuid)
    _require_status(rollout, "aborted", *ACTIVE_ROLLOUT)
    lifecycle.finish(rollout, RolloutStatus.ABORTED, "aborted by an operator")
    db.session.commit()
    return view_of(rollout)


def latest_for_repo(repo_uuid) -> RolloutView | None:
    """The repo's newest rollout, unchecked (the bot's repo view, after its own access check)."""
    latest = latest_rollout(repo_uuid)
    return view_of(latest) if latest is not None else None
