"""Which commit a repo and each of its units should run (Pepeunit v1.2 rules).

- auto-update repo: the newest commit of its default branch, or the newest
  tagged one when the repo is tag-only or compilable;
- hand-updated repo: its pinned ``default_commit`` (tagged, if compilable);
- a unit following its repo takes the repo's target; a pinned unit its own
  ``repo_branch``/``repo_commit``;
- beyond v1.2: a unit following a repo with a rollout policy takes the version its rollout
  gives it (``services.rollouts.effective``), so a unit waiting for its stage keeps the old one.

``unit_source`` is the one way to get a unit's repo, clone and target version together.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import GitRepoError
from ..extensions import db, get_settings
from ..git import Commit, LocalRepository
from ..models import Repo, RepositoryRegistry, Unit
from .rollouts import effective as rollout_effective


@dataclass(frozen=True)
class TargetVersion:
    commit: str
    tag: str | None = None


def local_repository(registry: RepositoryRegistry) -> LocalRepository:
    """The bare clone of a registry entry under ``PU_SAVE_REPO_PATH``."""
    return LocalRepository(os.path.join(get_settings().PU_SAVE_REPO_PATH, str(registry.uuid)))


def repository_of(repo: Repo) -> LocalRepository:
    return local_repository(db.session.get(RepositoryRegistry, repo.repository_registry_uuid))


def branch_commits(git: LocalRepository, branch: str | None) -> list[Commit]:
    """Commits of ``branch`` (newest first); the branch must exist in the clone."""
    branches = git.branches() if git.exists() else []
    if branch not in branches:
        raise GitRepoError(f"Branch {branch} not found, available: {branches}")
    return git.commits(branch)


def _pinned(commits: list[Commit], commit: str | None, branch: str, needs_tag: bool, missing: str) -> TargetVersion:
    found = next((c for c in commits if c.commit == commit), None)
    if found is None:
        raise GitRepoError(missing.format(commit=commit, branch=branch))
    if needs_tag and found.tag is None:
        raise GitRepoError(f"Commit {commit} without Tag")
    return TargetVersion(found.commit, found.tag)


def repo_target(repo: Repo, git: LocalRepository | None = None) -> TargetVersion:
    git = git or repository_of(repo)
    commits = branch_commits(git, repo.default_branch)
    if repo.is_auto_update_repo:
        if repo.is_compilable_repo or repo.is_only_tag_update:
            tagged = next((c for c in commits if c.tag), None)
            if tagged is None:
                raise GitRepoError("Version is missing: The tags are not in the repository")
            return TargetVersion(tagged.commit, tagged.tag)
        if not commits:
            raise GitRepoError("Version is missing")
        return TargetVersion(commits[0].commit, commits[0].tag)
    return _pinned(commits, repo.default_commit, repo.default_branch, repo.is_compilable_repo,
                   "Commit {commit} not in branch {branch}")


def unit_target(unit: Unit, repo: Repo, git: LocalRepository) -> TargetVersion:
    if unit.is_auto_update_from_repo_unit:
        staged = rollout_effective.unit_version(unit, repo)
        return TargetVersion(*staged) if staged else repo_target(repo, git)
    commits = branch_commits(git, unit.repo_branch)
    return _pinned(commits, unit.repo_commit, unit.repo_branch, repo.is_compilable_repo, "Version is missing")


@dataclass(frozen=True)
class UnitSource:
    """Where a unit's files come from: its repo, that repo's clone and the version the unit should run."""
    repo: Repo
    git: LocalRepository
    version: TargetVersion


def unit_source(unit: Unit, repo: Repo | None = None) -> UnitSource:
    """``repo``: the unit's repo when the caller already holds it."""
    repo = repo or db.session.get(Repo, unit.repo_uuid)
    git = repository_of(repo)
    return UnitSource(repo, git, unit_target(unit, repo, git))
