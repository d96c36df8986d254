"""Repos: a user's pool of units over one registry entry, with its own version policy.

A repo follows its default branch automatically (newest commit, or newest tag
when tag-only/compilable) or is pinned by hand to ``default_commit``; the rules
live in ``services.target_version``. Firmware fan-out to units (update units
firmware, bulk update) belongs to the units service and is not done here.
"""
from __future__ import annotations

import json
import uuid as uuid_module
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..errors import CHILDREN_EXIST, GitRepoError, JSONDecodeError_, RepoError, ValidationError, not_found
from ..extensions import db
from ..git import GitCommandFailed
from ..models import (
    AgentType,
    OrderByDate,
    Permission,
    PermissionEntities,
    Repo,
    RepositoryRegistry,
    Unit,
    VisibilityLevel,
)
from ..models.columns import utcnow
from . import access, unit_firmware
from . import repository_registry as registries
from .agents import Agent
from .listing import Page, fetch_page, order, search
from .lookup import get_or_not_found
from .rules import check_unique_name, commit_unique_name
from .target_version import branch_commits, local_repository, repo_target, repository_of

UPDATABLE = ("visibility_level", "name", "is_auto_update_repo", "default_branch", "default_commit",
             "is_only_tag_update", "is_compilable_repo")


@dataclass
class RepoFilter:
    page: Page = field(default_factory=Page)
    repository_registry_uuid: uuid_module.UUID | None = None
    uuids: list | None = None
    creator_uuid: uuid_module.UUID | None = None
    creators_uuids: list | None = None
    search_string: str | None = None
    is_auto_update_repo: bool | None = None
    visibility_level: list | None = field(default_factory=lambda: list(VisibilityLevel))
    order_by_create_date: OrderByDate | None = OrderByDate.desc
    order_by_last_update: OrderByDate | None = OrderByDate.desc


def _check_name(name, exclude_uuid=None) -> None:
    check_unique_name(Repo.name, name, RepoError, exclude_uuid=exclude_uuid)


def _commit_unique_name() -> None:
    commit_unique_name(RepoError)


def _has_units(repo: Repo) -> bool:
    return db.session.execute(sa.select(Unit.uuid).where(Unit.repo_uuid == repo.uuid).limit(1)).first() is not None


# ---------------------------------------------------------------------------- reading
def get(agent: Agent, uuid) -> Repo:
    access.require(agent, AgentType.ANONYMOUS, AgentType.USER)
    repo = get_or_not_found(Repo, uuid)
    access.require_visible(agent, repo)
    return repo


def list_(agent: Agent, filters: RepoFilter) -> tuple[int, list[Repo]]:
    access.require(agent, AgentType.ANONYMOUS, AgentType.USER)
    query = sa.select(Repo).where(
        access.visibility_clause(agent, Repo, PermissionEntities.REPO, filters.visibility_level)
    )
    if filters.repository_registry_uuid is not None:
        query = query.where(Repo.repository_registry_uuid == filters.repository_registry_uuid)
    if filters.uuids:
        query = query.where(Repo.uuid.in_(filters.uuids))
    if filters.creator_uuid is not None:
        query = query.where(Repo.creator_uuid == filters.creator_uuid)
    if filters.creators_uuids:
        query = query.where(Repo.creator_uuid.in_(filters.creators_uuids))
    if filters.is_auto_update_repo is not None:
        query = query.where(Repo.is_auto_update_repo.is_(filters.is_auto_update_repo))
    if filters.search_string and filters.search_string.split():
        query = query.join(RepositoryRegistry, RepositoryRegistry.uuid == Repo.repository_registry_uuid)
        query = search(query, filters.search_string,
                       [Repo.name, RepositoryRegistry.repository_url, Repo.default_branch])
    query = order(query, (Repo.create_datetime, filters.order_by_create_date),
                  (Repo.last_update_datetime, filters.order_by_last_update))
    return fetch_page(query, filters.page, Repo.uuid)


def _tags_on_default_branch(repo: Repo) -> dict[str, str | None]:
    try:
        return {c.commit: c.tag for c in branch_commits(repository_of(repo), repo.default_branch)}
    except (GitRepoError, GitCommandFailed, OSError):
        return {}


def versions(agent: Agent, uuid) -> dict:
    """Which commits the repo's units run: ``{unit_count, versions: [{commit, unit_count, tag}]}``."""
    repo = get(agent, uuid)
    counted = sa.func.count(Unit.uuid)
    rows = db.session.execute(
        sa.select(Unit.current_commit_version, counted)
        .where(Unit.repo_uuid == repo.uuid, Unit.current_commit_version.is_not(None))
        .group_by(Unit.current_commit_version)
        .order_by(counted.desc(), Unit.current_commit_version)
    ).all()
    tags = _tags_on_default_branch(repo) if rows else {}
    return {
        "unit_count": sum(n for _, n in rows),
        "versions": [{"commit": sha, "unit_count": n, "tag": tags.get(sha)} for sha, n in rows],
    }


def available_platforms(agent: Agent, uuid, target_commit: str | None = None,
                        target_tag: str | None = None) -> list[dict]:
    """Release assets (``[{name, link}]``) of a compilable repo's chosen or current tag."""
    access.require_user(agent)
    repo = get_or_not_found(Repo, uuid)
    access.require_visible(agent, repo)
    registry = db.session.get(RepositoryRegistry, repo.repository_registry_uuid)
    if not repo.is_compilable_repo or not registry.releases_data:
        return []
    try:
        releases = json.loads(registry.releases_data)
        if not isinstance(releases, dict):
            raise ValueError
    except ValueError:
        raise JSONDecodeError_("Data Releases for compile repo is invalid") from None
    if target_tag:
        tag = target_tag
    elif target_commit:
        tag = _tags_on_default_branch(repo).get(target_commit)
    else:
        tag = repo_target(repo).tag
    assets = releases.get(tag) if tag else None
    if not isinstance(assets, list):
        return []
    return [{"name": str(a[0]), "link": str(a[1])} for a in assets if isinstance(a, (list, tuple)) and len(a) == 2]


# ---------------------------------------------------------------------------- writing
def create(agent: Agent, repository_registry_uuid, default_branch: str, visibility_level: VisibilityLevel,
           name: str, is_compilable_repo: bool) -> Repo:
    access.require_user(agent)
    registry = get_or_not_found(RepositoryRegistry, repository_registry_uuid)
    registries.check_access(agent, registry)
    _check_name(name)
    branch_commits(local_repository(registry), default_branch)
    registry_uuid = registry.uuid
    repo = Repo(
        uuid=uuid_module.uuid4(), name=name, visibility_level=VisibilityLevel(visibility_level),
        default_branch=default_branch, default_commit=None, is_auto_update_repo=True,
        is_only_tag_update=True, is_compilable_repo=bool(is_compilable_repo),
        creator_uuid=agent.uuid, repository_registry_uuid=registry.uuid,
    )
    repo.create_datetime = repo.last_update_datetime = utcnow()
    db.session.add(repo)
    try:
        db.session.flush()  # the permission row references the repo row
    except IntegrityError:
        db.session.rollback()
        if db.session.get(RepositoryRegistry, registry_uuid) is None:  # deleted meanwhile
            raise not_found() from None
        raise RepoError("Name is not unique") from None
    db.session.add(Permission(agent_type=PermissionEntities.USER, resource_type=PermissionEntities.REPO,
                              agent_user_uuid=agent.uuid, resource_repo_uuid=repo.uuid))
    _commit_unique_name()
    return repo


def _check_visibility_against_units(repo: Repo, level: VisibilityLevel) -> None:
    levels = db.session.execute(
        sa.select(Unit.visibility_level).where(Unit.repo_uuid == repo.uuid).distinct()
    ).scalars().all()
    if any(level.rank > unit_level.rank for unit_level in levels):
        raise ValidationError(
            "The visibility level of the parent object Repo is lower than that of the child object Unit"
        )


def _check_policy(repo: Repo, merged: dict) -> None:
    """The v1.2 version-policy rules for the merged state, in the v1.2 order."""
    candidate = Repo(repository_registry_uuid=repo.repository_registry_uuid,
                     **{k: merged[k] for k in ("default_branch", "default_commit", "is_auto_update_repo",
                                               "is_only_tag_update", "is_compilable_repo")})
    git = repository_of(repo)
    if merged["is_auto_update_repo"]:
        try:
            repo_target(candidate, git)
        except GitRepoError:
            raise RepoError("Invalid auto updated target version") from None
    else:
        if not merged["default_branch"] or not merged["default_commit"]:
            raise RepoError("Repo updated manually requires branch and commit to be filled out")
        repo_target(candidate, git)
    if merged["is_compilable_repo"] and merged["is_auto_update_repo"] and not merged["is_only_tag_update"]:
        raise RepoError("Compiled repositories use only tags when updating automatically")


def update(agent: Agent, uuid, changes: dict) -> Repo:
    """Merge the non-null ``changes`` over the repo after every v1.2 rule passed; nothing is saved otherwise."""
    access.require_user(agent)
    repo = get_or_not_found(Repo, uuid)
    access.require_creator(agent, repo)
    given = {k: v for k, v in changes.items() if k in UPDATABLE and v is not None}
    merged = {k: given.get(k, getattr(repo, k)) for k in UPDATABLE}
    if "visibility_level" in given:
        merged["visibility_level"] = VisibilityLevel(given["visibility_level"])
    if "name" in given:
        _check_name(given["name"], exclude_uuid=repo.uuid)
    git = repository_of(repo)
    if "default_branch" in given:
        branch_commits(git, given["default_branch"])
    if "visibility_level" in given:
        _check_visibility_against_units(repo, merged["visibility_level"])
    if "default_commit" in given and not git.is_commit_in_branch(given["default_commit"], merged["default_branch"]):
        raise GitRepoError(f"Commit {given['default_commit']} not in branch {merged['default_branch']}")
    _check_policy(repo, merged)
    for key in given:
        setattr(repo, key, merged[key])
    repo.last_update_datetime = utcnow()
    _commit_unique_name()
    moved = any(k in given for k in ("default_branch", "default_commit", "is_auto_update_repo"))
    if moved and not repo.is_auto_update_repo and repo.default_branch and repo.default_commit:
        # A hand-updated repo moves its auto-following units when its pinned version changes (not on a rename).
        unit_firmware.update_units_of(repo.uuid)
    return repo


def delete(agent: Agent, uuid) -> None:
    access.require_user(agent)
    repo = get_or_not_found(Repo, uuid)
    access.require_creator(agent, repo)
    if _has_units(repo):
        raise ValidationError(CHILDREN_EXIST)
    db.session.delete(repo)
    db.session.commit()
