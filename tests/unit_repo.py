"""Unit repositories for tests: a real git repository made with the git CLI, and the
registry + repo rows that point at its clone.

- ``build_unit_repository(path, ...)`` makes a work repository with
  ``schema_example.json``, ``env_example.json``, ``.pepeignore`` and files on
  branch ``main``, tagged ``v1.0.0``; ``commit_files`` adds commits, tags and
  branches.
- ``register_repository(...)`` makes the registry and repo as bare rows (``tests.world``)
  and clones the work repository (file:// URL) into the registry's local path.
- ``refresh(registry, work)`` fetches new commits into that clone.
- ``UnitWorld`` is what the ``unit_world`` fixture (``tests/conftest.py``) returns: a
  user with a token and one registered repo, plus helpers to create units.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from pepeunit.extensions import db
from pepeunit.git import LocalRepository
from pepeunit.models import RepositoryRegistry, RepositoryRegistryStatus, VisibilityLevel
from pepeunit.services.target_version import local_repository
from tests import world
from tests.helpers import API, auth, git, new_work_repo

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
    new_work_repo(path)
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
    registry = world.registry(creator_uuid, bare=True, url=f"file://{work}", is_public_repository=True,
                              sync_status=RepositoryRegistryStatus.UPDATED)
    LocalRepository.clone(registry.repository_url, local_repository(registry).path)
    fields = {"is_auto_update_repo": True, "is_only_tag_update": False, "is_compilable_repo": False}
    fields.update(repo_fields)
    repo = world.repo(creator_uuid, registry, visibility, name, bare=True, grants=True, **fields)
    return registry, repo


def create_unit(client, token: str, repo_uuid, name: str, **fields) -> dict:
    """A Public, auto-updating unit of ``repo_uuid`` created over REST; returns the response body."""
    body = {"repo_uuid": str(repo_uuid), "visibility_level": "Public", "name": name,
            "is_auto_update_from_repo_unit": True}
    body.update(fields)
    response = client.post(f"{API}/units", json=body, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refresh(registry: RepositoryRegistry, work: Path) -> None:
    local_repository(registry).fetch(f"file://{work}")


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
        return create_unit(self.client, token or self.token, self.repo_uuid, name, **fields)

    def registry(self) -> RepositoryRegistry:
        return db.session.get(RepositoryRegistry, self.registry_uuid)

    def push(self, files: dict, message: str = "change", tag: str | None = None) -> str:
        """Commit to the work repository and fetch it into the clone; returns the sha."""
        sha = commit_files(self.work, files, message, tag=tag)
        with self.app.app_context():
            refresh(self.registry(), self.work)
        return sha
