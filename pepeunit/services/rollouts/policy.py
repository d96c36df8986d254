"""A repo's rollout policy: validation, reading, setting and clearing (creator or Admin).

Clearing the policy (``stages`` None) aborts the repo's running rollout and brings back
v1.2's all-at-once updates.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import GitRepoError, ValidationError
from ...extensions import db
from ...models import ACTIVE_ROLLOUT, AgentType, Repo, RolloutPolicy
from ...models.columns import utcnow
from .. import access
from ..agents import Agent
from ..lookup import get_or_not_found
from ..target_version import repo_target
from . import effective
from .lifecycle import finish

MAX_STAGES = 10
MAX_TIMEOUT_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class PolicyInput:
    stages: list[int]
    failure_threshold: float
    stage_timeout_seconds: int
    auto_rollback: bool


def validate(given: PolicyInput) -> None:
    """Every rule at once is not needed: the first broken one is named, nothing is stored."""
    stages = given.stages
    if not isinstance(stages, list) or not stages:
        raise ValidationError("Rollout stages must be a non-empty list of percentages")
    if len(stages) > MAX_STAGES:
        raise ValidationError(f"Rollout has {len(stages)} stages, at most {MAX_STAGES} are allowed")
    if any(isinstance(s, bool) or not isinstance(s, int) or not 0 < s <= 100 for s in stages):
        raise ValidationError("Rollout stages must be whole percentages between 1 and 100")
    if any(b <= a for a, b in zip(stages, stages[1:], strict=False)):
        raise ValidationError(f"Rollout stages must be strictly increasing, got {stages}")
    if stages[-1] != 100:
        raise ValidationError(f"Rollout stages must end at 100, got {stages[-1]}")
    threshold = given.failure_threshold
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ValidationError(f"Rollout failure threshold must be between 0 and 1, got {threshold}")
    timeout = given.stage_timeout_seconds
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        raise ValidationError(f"Rollout stage timeout must be a positive number of seconds, got {timeout}")
    if timeout > MAX_TIMEOUT_SECONDS:
        raise ValidationError(f"Rollout stage timeout must be at most {MAX_TIMEOUT_SECONDS} seconds")


def readable_repo(agent: Agent, repo_uuid) -> Repo:
    access.require(agent, AgentType.ANONYMOUS, AgentType.USER)
    repo = get_or_not_found(Repo, repo_uuid)
    access.require_visible(agent, repo)
    return repo


def controlled_repo(agent: Agent, repo_uuid) -> Repo:
    access.require_user(agent)
    repo = get_or_not_found(Repo, repo_uuid)
    access.require_creator_or_admin(agent, repo)
    return repo


def get(agent: Agent, repo_uuid) -> RolloutPolicy | None:
    return db.session.get(RolloutPolicy, readable_repo(agent, repo_uuid).uuid)


def set_policy(agent: Agent, repo_uuid, given: PolicyInput | None) -> RolloutPolicy | None:
    """``given`` None clears the policy."""
    repo = controlled_repo(agent, repo_uuid)
    if given is None:
        return clear(repo)
    validate(given)
    policy = db.session.get(RolloutPolicy, repo.uuid, with_for_update=True)
    if policy is None:
        policy = RolloutPolicy(repo_uuid=repo.uuid)
        if effective.latest_rollout(repo.uuid) is None:
            try:  # units run the repo's current target until its next move starts a rollout
                target = repo_target(repo)
                policy.baseline_commit, policy.baseline_tag = target.commit, target.tag
            except GitRepoError:
                pass
        db.session.add(policy)
    policy.stages = list(given.stages)
    policy.failure_threshold = float(given.failure_threshold)
    policy.stage_timeout_seconds = int(given.stage_timeout_seconds)
    policy.auto_rollback = bool(given.auto_rollback)
    policy.last_update_datetime = utcnow()
    db.session.commit()
    return policy


def clear(repo: Repo) -> None:
    policy = db.session.get(RolloutPolicy, repo.uuid, with_for_update=True)
    if policy is None:
        return None
    latest = effective.latest_rollout(repo.uuid)
    if latest is not None and latest.status in ACTIVE_ROLLOUT:
        finish(latest, "Aborted", "the rollout policy was removed")
    db.session.delete(policy)
    db.session.commit()
    return None
