"""Unit repositories for tests: a real git repository made with the git CLI, and the
registry + repo rows that point at its clone.

- ``build_unit_repository(path, ...)`` makes a work repository with
  ``schema_example.json``, ``env_example.json``, ``.pepeignore`` and files on
  branch ``main``, tagged ``v1.0.0``; ``commit_files`` adds commits, tags and
  branches.
- ``register_repository(...)`` creates the registry and repo rows directly with
  the models and clones the work repository (file:// URL) into the registry's
  local path. When the repository service exists, the integrator can swap this
  one function for calls to it; every test goes through it.
- ``refresh(registry, work)`` fetches new commits into that clone.

Fixtures: ``repo_cache`` (a per-test PU_SAVE_REPO_PATH) and ``unit_world`` (a
user with a token and one registered repo, plus helpers to create units).
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from pepeunit.extensions import db
from pepeunit.git import LocalRepository
from pepeunit.models import (GitPlatform, Permission, PermissionEntities, Repo, RepositoryRegistry,
                             RepositoryRegistryStatus, VisibilityLevel)
from pepeunit.services.target_version import local_repository
from tests.helpers import API, auth, new_user

SCHEMA = {
    "input_base_topic": ["update/pepeunit", "env_update/pepeunit", "schema_update/pepeunit", "log_sync/pepeunit"],
    "output_base_topic": ["state/pepeunit", "log/pepeunit"],
    "input_topic": ["input/pepeunit", "raw_in"],
    "output_topic": ["output/pepeunit", "raw_out"],
}
ENV_EXAMPLE = {"DEV_KEY": "example", "PU_DOMAIN": "", "PU_STATE_SEND_INTERVAL": 300}
PEPEIGNORE = ".pepeignore\nREADME.md\nsecret/\n*.log\n"
FILES = {
    "main.py": "print('hello')\n",
    "lib/helper.py": "VALUE = 1\n",
    "README.md": "# readme\n",
    "secret/keys.txt": "do not ship\n",
    "debug.log": "noise\n",
}


def git(cwd, *args) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit_files(work: Path, files: dict, message: str = "change", tag: str | None = None,
                 branch: str | None = None) -> str:
    """Write ``files`` (path -> text, or None to delete) on ``branch`` (created if new); return the sha."""
    if branch is not None:
        existing = git(work, "branch", "--list", branch)
        git(work, "checkout", "-q", *([] if existing else ["-b"]), branch)
    for name, text in files.items():
        target = work / name
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if isinstance(text, str) else json.dumps(text))
    git(work, "add", "-A")
    git(work, "commit", "-q", "--allow-empty", "-m", message)
    if tag:
        git(work, "tag", tag)
    sha = git(work, "rev-parse", "HEAD")
    if branch is not None:
        git(work, "checkout", "-q", "main")
    return sha


def build_unit_repository(path: Path, schema=None, env=None, pepeignore: str | None = PEPEIGNORE,
                          files: dict | None = None, tag: str | None = "v1.0.0") -> Path:
    """A work repository on ``main`` with the unit contract files; returns its path."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "tests@example.com")
    git(path, "config", "user.name", "tests")
    content = dict(FILES if files is None else files)
    content["schema_example.json"] = json.dumps(SCHEMA if schema is None else schema)
    content["env_example.json"] = json.dumps(ENV_EXAMPLE if env is None else env)
    if pepeignore is not None:
        content[".pepeignore"] = pepeignore
    commit_files(path, content, "first", tag=tag)
    return path


def register_repository(work: Path, creator_uuid, name: str = "repo-one",
                        visibility: VisibilityLevel = VisibilityLevel.PUBLIC, **repo_fields) -> tuple:
    """Registry + repo rows for ``work`` (cloned into the registry's local path). Returns (registry, repo)."""
    registry = RepositoryRegistry(platform=GitPlatform.GITHUB, repository_url=f"file://{work}",
                                  is_public_repository=True, sync_status=RepositoryRegistryStatus.UPDATED,
                                  creator_uuid=creator_uuid)
    db.session.add(registry)
    db.session.flush()
    LocalRepository.clone(registry.repository_url, local_repository(registry).path)
    fields = {"default_branch": "main", "is_auto_update_repo": True, "is_only_tag_update": False,
              "is_compilable_repo": False}
    fields.update(repo_fields)
    repo = Repo(name=name, visibility_level=visibility, creator_uuid=creator_uuid,
                repository_registry_uuid=registry.uuid, **fields)
    db.session.add(repo)
    db.session.flush()
    db.session.add(Permission(agent_type=PermissionEntities.USER, agent_user_uuid=creator_uuid,
                              resource_type=PermissionEntities.REPO, resource_repo_uuid=repo.uuid))
    db.session.commit()
    return registry, repo


def refresh(registry: RepositoryRegistry, work: Path) -> None:
    local_repository(registry).fetch(f"file://{work}")


@pytest.fixture
def repo_cache(app, tmp_path, monkeypatch):
    """A PU_SAVE_REPO_PATH of this test's own."""
    settings = dataclasses.replace(app.config["PU_SETTINGS"], PU_SAVE_REPO_PATH=str(tmp_path / "repo_cache"))
    monkeypatch.setitem(app.config, "PU_SETTINGS", settings)
    return settings


@dataclasses.dataclass
class UnitWorld:
    client: object
    app: object
    settings: object
    user: dict
    token: str
    work: Path
    registry_uuid: object
    repo_uuid: object

    def create_unit(self, name: str, token: str | None = None, **fields) -> dict:
        body = {"repo_uuid": str(self.repo_uuid), "visibility_level": "Public", "name": name,
                "is_auto_update_from_repo_unit": True}
        body.update(fields)
        response = self.client.post(f"{API}/units", json=body, headers=auth(token or self.token))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def registry(self) -> RepositoryRegistry:
        return db.session.get(RepositoryRegistry, self.registry_uuid)

    def push(self, files: dict, message: str = "change", tag: str | None = None) -> str:
        """Commit to the work repository and fetch it into the clone; returns the sha."""
        sha = commit_files(self.work, files, message, tag=tag)
        with self.app.app_context():
            refresh(self.registry(), self.work)
        return sha


@pytest.fixture
def unit_world(app, client, repo_cache, tmp_path) -> UnitWorld:
    user, token = new_user(client, "owner1")
    work = build_unit_repository(tmp_path / "work")
    with app.app_context():
        registry, repo = register_repository(work, user["uuid"])
        registry_uuid, repo_uuid = registry.uuid, repo.uuid
    return UnitWorld(client, app, repo_cache, user, token, work, registry_uuid, repo_uuid)
