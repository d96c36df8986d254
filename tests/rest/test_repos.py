"""Repos over REST: create, visibility, update rules, versions, platforms, delete."""
import json
import uuid as uuid_module

import sqlalchemy as sa

from pepeunit.extensions import db
from pepeunit.models import Permission, RepositoryRegistry, Unit, VisibilityLevel

from ..git_server import UnitRepo, make_unit_repo
from ..helpers import API, auth, new_user

REG = f"{API}/repository_registry"
REPOS = f"{API}/repos"


def detail(response):
    return response.status_code, response.get_json()["detail"]


def registry(client, token, url, public=True, credentials=None):
    body = {"platform": "Gitlab", "repository_url": url, "is_public_repository": public, "credentials": credentials}
    response = client.post(REG, json=body, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["uuid"]


def new_repo(client, token, registry_uuid, name="weather", branch="main", visibility="Public", compilable=False):
    return client.post(REPOS, headers=auth(token), json={
        "repository_registry_uuid": registry_uuid, "default_branch": branch, "visibility_level": visibility,
        "name": name, "is_compilable_repo": compilable})


def add_unit(app, repo_uuid, creator_uuid, name, visibility=VisibilityLevel.PUBLIC, commit=None):
    """A bare unit row (the units service is another area's work)."""
    with app.app_context():
        db.session.add(Unit(name=name, visibility_level=visibility, repo_uuid=repo_uuid, creator_uuid=creator_uuid,
                            current_commit_version=commit))
        db.session.commit()


def test_create_applies_v12_defaults_and_grants_the_creator(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    user, token = new_user(client, "alice")
    reg = registry(client, token, upstream.url)
    response = new_repo(client, token, reg, compilable=True)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"uuid", "visibility_level", "name", "create_datetime", "default_branch", "is_auto_update_repo",
                         "default_commit", "is_only_tag_update", "is_compilable_repo", "last_update_datetime",
                         "creator_uuid", "repository_registry_uuid"}
    assert body["is_auto_update_repo"] is True and body["is_only_tag_update"] is True
    assert body["default_commit"] is None and body["default_branch"] == "main" and body["is_compilable_repo"] is True
    assert body["creator_uuid"] == user["uuid"] and body["repository_registry_uuid"] == reg
    with app.app_context():
        grant = db.session.execute(sa.select(Permission)).scalar_one()
        assert (str(grant.agent_uuid), str(grant.resource_uuid)) == (user["uuid"], body["uuid"])
    assert client.get(f"{REPOS}/{body['uuid']}").get_json() == body


def test_create_refuses_bad_input(client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    reg = registry(client, token, upstream.url)
    assert new_repo(client, token, reg).status_code == 201
    cases = [
        (dict(name="ab"), (422, "422: 6: Repo Validation Error: Name is not correct")),
        (dict(name="bad name"), (422, "422: 6: Repo Validation Error: Name is not correct")),
        (dict(name="weather"), (422, "422: 6: Repo Validation Error: Name is not unique")),
        (dict(name="other", branch="nope"),
         (422, "422: 5: Git Repo Validation Error: Branch nope not found, available: ['broken', 'dev', 'main']")),
    ]
    for kwargs, expected in cases:
        assert detail(new_repo(client, token, reg, **kwargs)) == expected, kwargs
    assert detail(new_repo(client, token, str(uuid_module.uuid4()), name="other")) == (
        422, "422: 2: Validation Error: The object does not exist")
    assert detail(new_repo(client, None, reg, name="other"))[0] == 403
    assert new_repo(client, token, reg, name="other", visibility="Secret").status_code == 422
    assert client.get(REPOS, headers=auth(token)).get_json()["count"] == 1


def test_private_registry_needs_valid_credentials_to_build_on(client, git_server, repo_cache):
    upstream = make_unit_repo(git_server, private=True)
    _, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    creds = {"username": git_server.username, "pat_token": git_server.password}
    reg = registry(client, alice, upstream.url, public=False, credentials=creds)
    assert new_repo(client, alice, reg).status_code == 201
    assert detail(new_repo(client, bob, reg, name="bobs_one")) == (
        403, "403: 1: No Access: This User has no external Platform Credentials for operation with RepositoryRegistry")
    client.patch(f"{REG}/set_credentials/{reg}", json=creds, headers=auth(bob))
    assert new_repo(client, bob, reg, name="bobs_one").status_code == 201


def test_visibility_of_single_repos_and_lists(client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    _, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    reg = registry(client, alice, upstream.url)
    ids = {v: new_repo(client, alice, reg, name=f"repo_{v.lower()}", visibility=v).get_json()["uuid"]
           for v in ("Public", "Internal", "Private")}
    assert client.get(f"{REPOS}/{ids['Public']}").status_code == 200
    assert detail(client.get(f"{REPOS}/{ids['Internal']}")) == (403, "403: 1: No Access: Internal visibility level is not allowed")
    assert detail(client.get(f"{REPOS}/{ids['Private']}")) == (403, "403: 1: No Access: Private visibility level is not allowed")
    assert client.get(f"{REPOS}/{ids['Internal']}", headers=auth(bob)).status_code == 200
    assert detail(client.get(f"{REPOS}/{ids['Private']}", headers=auth(bob)))[0] == 403
    assert client.get(f"{REPOS}/{ids['Private']}", headers=auth(alice)).status_code == 200
    assert detail(client.get(f"{REPOS}/{uuid_module.uuid4()}")) == (422, "422: 2: Validation Error: The object does not exist")

    def names(token, **query):
        body = client.get(REPOS, query_string=query, headers=auth(token)).get_json()
        return body["count"], sorted(r["name"] for r in body["repos"])

    assert names(None) == (1, ["repo_public"])
    assert names(bob) == (2, ["repo_internal", "repo_public"])
    assert names(alice) == (3, ["repo_internal", "repo_private", "repo_public"])
    assert names(alice, visibility_level="Private") == (1, ["repo_private"])
    assert names(alice, search_string="internal main") == (1, ["repo_internal"])
    assert names(alice, search_string=upstream.name) == (3, ["repo_internal", "repo_private", "repo_public"])
    assert names(alice, search_string="nothing-like-this") == (0, [])
    assert names(alice, repository_registry_uuid=reg, limit=2)[0] == 3
    assert names(alice, uuids=[ids["Public"], ids["Private"]]) == (2, ["repo_private", "repo_public"])
    assert names(bob, is_auto_update_repo="false") == (0, [])


def test_update_rules_and_messages(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    user, token = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    reg = registry(client, token, upstream.url)
    made = new_repo(client, token, reg).get_json()
    url = f"{REPOS}/{made['uuid']}"

    def patch(body, who=token):
        return client.patch(url, json=body, headers=auth(who))

    assert detail(patch({"name": "renamed"}, bob)) == (403, "403: 1: No Access: AgentUser is not creator this entity - Repo.")
    assert detail(patch({"name": "x"})) == (422, "422: 6: Repo Validation Error: Name is not correct")
    assert detail(patch({"default_branch": "nope"}))[1].startswith("422: 5: Git Repo Validation Error: Branch nope not found")
    assert detail(patch({"default_commit": upstream.commits["dev1"]})) == (
        422, f"422: 5: Git Repo Validation Error: Commit {upstream.commits['dev1']} not in branch main")
    assert detail(patch({"is_auto_update_repo": False})) == (
        422, "422: 6: Repo Validation Error: Repo updated manually requires branch and commit to be filled out")
    assert detail(patch({"is_compilable_repo": True, "is_only_tag_update": False})) == (
        422, "422: 6: Repo Validation Error: Compiled repositories use only tags when updating automatically")
    assert client.get(url, headers=auth(token)).get_json() == made  # nothing was saved by refused updates

    pinned = patch({"is_auto_update_repo": False, "default_commit": upstream.commits["c2"], "name": "renamed"})
    assert pinned.status_code == 200, pinned.get_json()
    body = pinned.get_json()
    assert (body["name"], body["is_auto_update_repo"], body["default_commit"]) == ("renamed", False, upstream.commits["c2"])
    assert body["last_update_datetime"] >= made["last_update_datetime"]
    # a compilable hand-updated repo must be pinned on a tag
    assert detail(patch({"is_compilable_repo": True, "default_commit": upstream.commits["c3"]})) == (
        422, f"422: 5: Git Repo Validation Error: Commit {upstream.commits['c3']} without Tag")
    # moving to a branch the pinned commit is not on is refused
    assert detail(patch({"default_branch": "broken"})) == (
        422, f"422: 5: Git Repo Validation Error: Commit {upstream.commits['c2']} not in branch broken")
    # empty strings are validated like any value, never saved blindly
    assert detail(patch({"name": ""})) == (422, "422: 6: Repo Validation Error: Name is not correct")
    assert detail(patch({"default_branch": ""}))[1].startswith("422: 5: Git Repo Validation Error: Branch  not found")
    assert detail(patch({"default_commit": ""})) == (422, "422: 5: Git Repo Validation Error: Commit  not in branch main")
    # null fields mean "unchanged"
    assert patch({"name": None, "visibility_level": None}).get_json()["name"] == "renamed"

    # visibility may not become stricter than a unit's
    add_unit(app, made["uuid"], user["uuid"], "unit_pub", VisibilityLevel.INTERNAL)
    assert detail(patch({"visibility_level": "Private"})) == (
        422, "422: 2: Validation Error: The visibility level of the parent object Repo is lower than that of the child object Unit")
    assert patch({"visibility_level": "Internal"}).status_code == 200


def test_auto_update_needs_a_computable_target(client, git_server, repo_cache):
    upstream = UnitRepo(git_server, "untagged-repo")
    upstream.commit("only", {"schema_example.json": "{}", "env_example.json": "{}"})
    upstream.push()
    _, token = new_user(client, "alice")
    reg = registry(client, token, upstream.url)
    made = new_repo(client, token, reg).get_json()  # v1.2 creates auto + tag-only even without tags
    url = f"{REPOS}/{made['uuid']}"
    assert detail(client.patch(url, json={"name": "renamed"}, headers=auth(token))) == (
        422, "422: 6: Repo Validation Error: Invalid auto updated target version")
    ok = client.patch(url, json={"is_only_tag_update": False, "name": "renamed"}, headers=auth(token))
    assert ok.status_code == 200 and ok.get_json()["is_only_tag_update"] is False


def test_versions_count_units_per_commit_with_tags(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    user, token = new_user(client, "alice")
    made = new_repo(client, token, registry(client, token, upstream.url)).get_json()
    url = f"{REPOS}/versions/{made['uuid']}"
    assert client.get(url).get_json() == {"unit_count": 0, "versions": []}
    for n, commit in enumerate([upstream.commits["c2"], upstream.commits["c2"], upstream.commits["c3"], None]):
        add_unit(app, made["uuid"], user["uuid"], f"unit_{n}", commit=commit)
    assert client.get(url).get_json() == {"unit_count": 3, "versions": [
        {"commit": upstream.commits["c2"], "unit_count": 2, "tag": "v0.2.0"},
        {"commit": upstream.commits["c3"], "unit_count": 1, "tag": None},
    ]}


def test_available_platforms_of_a_compilable_repo(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    reg = registry(client, token, upstream.url)
    plain = new_repo(client, token, reg, name="plain").get_json()
    compiled = new_repo(client, token, reg, name="compiled", compilable=True).get_json()
    url = f"{REPOS}/available_platforms/{compiled['uuid']}"
    assert client.get(url, headers=auth(token)).get_json() == []  # no release data yet
    releases = {"v0.2.0": [["esp32", "https://example.com/esp32.bin"], ["rp2040", "https://example.com/rp.uf2"]],
                "v0.1.0": [["esp8266", "https://example.com/esp8266.bin"]]}
    with app.app_context():
        db.session.get(RepositoryRegistry, reg).releases_data = json.dumps(releases)
        db.session.commit()
    current = client.get(url, headers=auth(token)).get_json()
    assert current == [{"name": "esp32", "link": "https://example.com/esp32.bin"},
                       {"name": "rp2040", "link": "https://example.com/rp.uf2"}]
    assert client.get(url, query_string={"target_tag": "v0.1.0"}, headers=auth(token)).get_json()[0]["name"] == "esp8266"
    assert client.get(url, query_string={"target_tag": "v9"}, headers=auth(token)).get_json() == []
    by_commit = client.get(url, query_string={"target_commit": upstream.commits["c1"]}, headers=auth(token)).get_json()
    assert [p["name"] for p in by_commit] == ["esp8266"]
    assert client.get(f"{REPOS}/available_platforms/{plain['uuid']}", headers=auth(token)).get_json() == []
    assert detail(client.get(url))[0] == 403


def test_delete_refused_while_units_exist(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    user, token = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    made = new_repo(client, token, registry(client, token, upstream.url)).get_json()
    url = f"{REPOS}/{made['uuid']}"
    add_unit(app, made["uuid"], user["uuid"], "unit_one")
    assert detail(client.delete(url, headers=auth(bob))) == (403, "403: 1: No Access: AgentUser is not creator this entity - Repo.")
    assert detail(client.delete(url, headers=auth(token))) == (
        422, "422: 2: Validation Error: The array was expected to be empty, but it turned out to be full")
    with app.app_context():
        db.session.execute(sa.delete(Unit))
        db.session.commit()
    response = client.delete(url, headers=auth(token))
    assert response.status_code == 204 and response.data == b""
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Permission)).scalar_one() == 0
    assert detail(client.get(url)) == (422, "422: 2: Validation Error: The object does not exist")
