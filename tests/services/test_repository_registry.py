"""Registry service: concurrency, the hourly sync, and credentials at rest."""
import threading
import uuid as uuid_module

import pytest
import sqlalchemy as sa

from pepeunit.errors import PepeunitError
from pepeunit.extensions import db
from pepeunit.models import (
    AgentType,
    CredentialStatus,
    GitPlatform,
    RepositoryRegistry,
    RepositoryRegistryCredentials,
    User,
    UserRole,
)
from pepeunit.services import repository_registry as registries
from pepeunit.services.agents import Agent

from ..git_server import make_unit_repo
from ..helpers import new_user


def user_agent(app, client, name) -> Agent:
    user, _ = new_user(client, name)
    return Agent(AgentType.USER, uuid_module.UUID(user["uuid"]), UserRole(user["role"]))


def test_concurrent_creates_of_one_url_make_one_entry_and_one_clone(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    agents = [user_agent(app, client, f"user_{n}") for n in range(4)]
    outcomes = []

    def attempt(agent):
        with app.app_context():
            try:
                outcomes.append(("ok", str(registries.create(agent, "Github", upstream.url, True).uuid)))
            except PepeunitError as exc:
                outcomes.append(("error", exc.message))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = [value for kind, value in outcomes if kind == "ok"]
    errors = {value for kind, value in outcomes if kind == "error"}
    assert len(created) == 1 and len(outcomes) == 4
    assert errors == {f'422: 13: Repository Registry Validation Error: Url "{upstream.url}" is exist'}
    assert repo_cache.clones() == created


def test_sync_all_fetches_every_entry_with_stored_credentials(app, client, git_server, repo_cache):
    public = make_unit_repo(git_server)
    private = make_unit_repo(git_server, private=True)
    alice = user_agent(app, client, "alice")
    token = {"username": git_server.username, "pat_token": git_server.password}
    with app.app_context():
        pub = registries.create(alice, GitPlatform.GITHUB, public.url, True)
        priv = registries.create(alice, GitPlatform.GITLAB, private.url, False, token)
        ids = (pub.uuid, priv.uuid)
    for upstream in (public, private):
        upstream.commit("pushed-later")
        upstream.push()
    with app.app_context():
        result = registries.sync_all()
        assert result == {str(ids[0]): "Updated", str(ids[1]): "Updated"}
        for registry_uuid, upstream in zip(ids, (public, private), strict=True):
            registry = db.session.get(RepositoryRegistry, registry_uuid)
            clone = registries.local_repository(registry)
            assert clone.commits("main")[0].commit == upstream.head()
        # with no valid credentials left the private entry records why it could not sync
        db.session.execute(sa.update(RepositoryRegistryCredentials).values(status=CredentialStatus.ERROR))
        db.session.commit()
        result = registries.sync_all()
        assert result[str(ids[1])] == "Error" and result[str(ids[0])] == "Updated"
        assert db.session.get(RepositoryRegistry, ids[1]).sync_error == (
            "422: 13: Repository Registry Validation Error: No valid credentials in credential list")


def test_sync_all_survives_a_vanished_remote(app, client, git_server, repo_cache):
    gone = make_unit_repo(git_server)
    fine = make_unit_repo(git_server)
    alice = user_agent(app, client, "alice")
    with app.app_context():
        first = registries.create(alice, "Github", gone.url, True).uuid
        second = registries.create(alice, "Github", fine.url, True).uuid
    import shutil
    shutil.rmtree(gone.bare)
    with app.app_context():
        assert registries.sync_all() == {str(first): "Error", str(second): "Updated"}


def test_credentials_are_only_returned_to_their_owner(app, client, git_server, repo_cache):
    private = make_unit_repo(git_server, private=True)
    alice = user_agent(app, client, "alice")
    bob = user_agent(app, client, "bob_1")
    token = {"username": git_server.username, "pat_token": git_server.password}
    with app.app_context():
        entry = registries.create(alice, "Github", private.url, False, token)
        assert registries.get_credentials(alice, entry.uuid)["credentials"] == token
        assert registries.get_credentials(bob, entry.uuid) is None
        assert registries.set_credentials(bob, entry.uuid, "someone", "bad") is CredentialStatus.ERROR
        assert registries.get_credentials(bob, entry.uuid)["credentials"] == {"username": "someone", "pat_token": "bad"}
        assert registries.get_credentials(alice, entry.uuid)["credentials"] == token
        stored = db.session.execute(sa.select(RepositoryRegistryCredentials.cipher_credentials)).scalars().all()
        assert len(stored) == 2 and all("bad" not in s and git_server.password not in s for s in stored)


def test_deleting_the_creator_keeps_the_entry(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    alice = user_agent(app, client, "alice")
    with app.app_context():
        entry = registries.create(alice, "Github", upstream.url, True)
        db.session.execute(sa.delete(User).where(User.uuid == alice.uuid))
        db.session.commit()
        assert db.session.get(RepositoryRegistry, entry.uuid).creator_uuid is None
        with pytest.raises(PepeunitError):
            registries.delete(alice, entry.uuid)
