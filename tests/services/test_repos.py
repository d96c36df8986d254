"""Repos service: target versions follow pushes once the registry clone is updated."""
import uuid as uuid_module

import pytest

from pepeunit.errors import RepoError
from pepeunit.extensions import db
from pepeunit.models import AgentType, Repo, UserRole, VisibilityLevel
from pepeunit.services import repos
from pepeunit.services import repository_registry as registries
from pepeunit.services.agents import Agent
from pepeunit.services.target_version import repo_target

from ..git_server import make_unit_repo
from ..helpers import new_user


def agent_for(client, name) -> Agent:
    user, _ = new_user(client, name)
    return Agent(AgentType.USER, uuid_module.UUID(user["uuid"]), UserRole(user["role"]))


def alice_and_registry(app, client, git_server):
    """A pushed unit repository, user alice and her registry entry for it: ``(upstream, alice, entry uuid)``."""
    upstream = make_unit_repo(git_server)
    alice = agent_for(client, "alice")
    with app.app_context():
        return upstream, alice, registries.create(alice, "Github", upstream.url, True).uuid


def public_repo(alice, entry_uuid, name):
    """A public repo of alice's on ``main`` (in an app context)."""
    return repos.create(alice, entry_uuid, "main", VisibilityLevel.PUBLIC, name, False)


def test_targets_move_after_a_push_and_an_update(app, client, git_server, repo_cache):
    upstream, alice, entry_uuid = alice_and_registry(app, client, git_server)
    with app.app_context():
        tags_only = public_repo(alice, entry_uuid, "tags_only")
        heads = public_repo(alice, entry_uuid, "heads")
        repos.update(alice, heads.uuid, {"is_only_tag_update": False})
        pinned = public_repo(alice, entry_uuid, "pinned")
        repos.update(alice, pinned.uuid, {"is_auto_update_repo": False, "default_commit": upstream.commits["c1"]})
        ids = (entry_uuid, tags_only.uuid, heads.uuid, pinned.uuid)

    def targets():
        with app.app_context():
            return [(t.commit, t.tag) for t in (repo_target(db.session.get(Repo, i)) for i in ids[1:])]

    assert targets() == [(upstream.commits["c2"], "v0.2.0"), (upstream.commits["c3"], None),
                         (upstream.commits["c1"], "v0.1.0")]
    upstream.commit("c4")
    upstream.tag("v0.4.0", annotated=True)
    upstream.commit("c5")
    upstream.push()
    assert targets()[0] == (upstream.commits["c2"], "v0.2.0")  # nothing moves before the clone is updated
    with app.app_context():
        registries.update_local_repository(alice, ids[0])
    assert targets() == [(upstream.commits["c4"], "v0.4.0"), (upstream.commits["c5"], None),
                         (upstream.commits["c1"], "v0.1.0")]


def test_refused_update_changes_nothing_in_the_database(app, client, git_server, repo_cache):
    _, alice, entry_uuid = alice_and_registry(app, client, git_server)
    with app.app_context():
        repo = public_repo(alice, entry_uuid, "weather")
        before = {k: getattr(repo, k) for k in repos.UPDATABLE + ("last_update_datetime",)}
        with pytest.raises(RepoError, match="requires branch and commit"):
            repos.update(alice, repo.uuid, {"name": "renamed", "is_auto_update_repo": False})
        db.session.rollback()
        db.session.expire_all()
        fresh = db.session.get(Repo, repo.uuid)
        assert {k: getattr(fresh, k) for k in before} == before
