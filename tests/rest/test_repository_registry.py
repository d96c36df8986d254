"""Repository registry over REST against real git repositories served over HTTP."""
import logging
import os

import sqlalchemy as sa

from pepeunit.extensions import db
from pepeunit.models import RepositoryRegistry, RepositoryRegistryCredentials, RepositoryRegistryStatus
from pepeunit.models.columns import utcnow
from pepeunit.services import crypto

from ..git_server import make_unit_repo, unreachable_url
from ..helpers import API, auth, new_user

REG = f"{API}/repository_registry"


def create(client, token, url, public=True, credentials=None, platform="Github"):
    body = {"platform": platform, "repository_url": url, "is_public_repository": public}
    if credentials is not None:
        body["credentials"] = credentials
    return client.post(REG, json=body, headers=auth(token))


def creds(server, token=None):
    return {"username": server.username, "pat_token": token or server.password}


def detail(response):
    return response.status_code, response.get_json()["detail"]


def registry_count(app):
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(RepositoryRegistry)).scalar_one()


def test_create_public_clones_once_and_reports_branches(client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    response = create(client, token, repo.url)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"uuid", "platform", "repository_url", "is_public_repository", "releases_data",
                         "local_repository_size", "sync_status", "sync_error", "sync_last_datetime",
                         "create_datetime", "last_update_datetime", "creator_uuid", "branches"}
    assert body["platform"] == "Github" and body["repository_url"] == repo.url
    assert body["branches"] == ["broken", "dev", "main"]
    assert body["sync_status"] == "Updated" and body["sync_error"] is None
    assert body["local_repository_size"] > 0 and body["releases_data"] == "{}"  # read from the releases API: none yet
    assert repo_cache.clones() == [body["uuid"]]
    # anonymous callers read public entries
    assert client.get(f"{REG}/{body['uuid']}").get_json()["uuid"] == body["uuid"]
    # the same URL twice is refused, and nothing new is cloned
    assert detail(create(client, token, repo.url)) == (
        422, f'422: 13: Repository Registry Validation Error: Url "{repo.url}" is exist')
    assert repo_cache.clones() == [body["uuid"]]


def test_bad_input_is_refused_and_nothing_is_created(app, client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    url_error = ("422: 13: Repository Registry Validation Error: Repo URL is not correct check the .git "
                 "at the end of the link and the correctness of https / http")
    for url in ["ftp://example.com/x.git", repo.url[:-4], "not a url", f"http://u:p@127.0.0.1/{repo.name}.git", ""]:
        assert detail(create(client, token, url)) == (422, url_error), url
    assert detail(create(client, token, repo.url, platform="Bitbucket")) == (
        422, "422: 13: Repository Registry Validation Error: Platform Bitbucket is not supported - available: Gitlab, Github")
    for bad in (None, {"username": "", "pat_token": "x"}, {"username": "u", "pat_token": " "}):
        response = create(client, token, repo.url, public=False, credentials=bad)
        assert detail(response) == (422, "422: 13: Repository Registry Validation Error: Credentials is not valid")
    assert client.post(REG, json={"platform": "Github"}, headers=auth(token)).status_code == 422
    assert detail(create(client, None, repo.url))[0] == 403
    assert registry_count(app) == 0 and repo_cache.clones() == []


def test_unreachable_and_missing_remotes_leave_nothing(app, client, git_server, repo_cache):
    _, token = new_user(client, "alice")
    for url in (unreachable_url(), git_server.url("does-not-exist")):
        assert detail(create(client, token, url)) == (
            422, "422: 5: Git Repo Validation Error: No valid repo_url or credentials")
    assert registry_count(app) == 0 and repo_cache.clones() == []


def test_oversize_repository_is_refused_with_a_clear_error(app, client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    repo.commit("big", {"firmware.bin": os.urandom(1536 * 1024)})
    repo.push()
    repo_cache.limit_mb(1)
    _, token = new_user(client, "alice")
    status, text = detail(create(client, token, repo.url))
    assert status == 422 and text.startswith("422: 5: Git Repo Validation Error: No valid external repo size 1.")
    assert text.endswith(" MB, max 1 MB")
    assert registry_count(app) == 0 and repo_cache.clones() == []


def test_private_repository_needs_the_right_token(app, client, git_server, repo_cache, caplog):
    caplog.set_level(logging.DEBUG)
    repo = make_unit_repo(git_server, private=True)
    _, token = new_user(client, "alice")
    wrong = create(client, token, repo.url, public=False, credentials=creds(git_server, "wrong-token-1"))
    assert detail(wrong) == (422, "422: 5: Git Repo Validation Error: No valid repo_url or credentials")
    # a private repo cannot be registered as public either
    assert detail(create(client, token, repo.url))[0] == 422
    assert registry_count(app) == 0 and repo_cache.clones() == []

    right = create(client, token, repo.url, public=False, credentials=creds(git_server))
    assert right.status_code == 201, right.get_json()
    body = right.get_json()
    assert body["is_public_repository"] is False and body["branches"] == ["broken", "dev", "main"]
    assert git_server.password not in right.get_data(as_text=True)
    # the token is encrypted at rest and nowhere in the clone
    with app.app_context():
        row = db.session.execute(sa.select(RepositoryRegistryCredentials)).scalar_one()
        assert git_server.password not in row.cipher_credentials and row.status.value == "Valid"
        assert git_server.password in crypto.decrypt(row.cipher_credentials, app.config["PU_SETTINGS"].PU_ENCRYPT_KEY)
    for path in repo_cache.path.rglob("*"):
        if path.is_file():
            assert git_server.password.encode() not in path.read_bytes(), path
    # anonymous callers cannot read a private entry
    assert detail(client.get(f"{REG}/{body['uuid']}")) == (
        403, "403: 1: No Access: Private RepositoryRegistry is not allowed")
    assert all(git_server.password not in record.getMessage() for record in caplog.records)
    assert all("wrong-token-1" not in record.getMessage() for record in caplog.records)


def test_credentials_belong_to_their_owner(client, git_server, repo_cache, caplog):
    caplog.set_level(logging.DEBUG)
    repo = make_unit_repo(git_server, private=True)
    _, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    uuid = create(client, alice, repo.url, public=False, credentials=creds(git_server)).get_json()["uuid"]
    mine = client.get(f"{REG}/get_credentials/{uuid}", headers=auth(alice))
    assert mine.get_json() == {"credentials": creds(git_server), "status": "Valid"}
    others = client.get(f"{REG}/get_credentials/{uuid}", headers=auth(bob))
    assert others.status_code == 200 and others.get_json() is None
    assert git_server.password not in others.get_data(as_text=True)
    assert detail(client.get(f"{REG}/get_credentials/{uuid}"))[0] == 403
    # bob sets a wrong token: stored with status Error, and it does not let him build on the entry
    response = client.patch(f"{REG}/set_credentials/{uuid}", json=creds(git_server, "bob-wrong-token"), headers=auth(bob))
    assert response.status_code == 204 and response.data == b""
    assert client.get(f"{REG}/get_credentials/{uuid}", headers=auth(bob)).get_json()["status"] == "Error"
    assert detail(client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(bob))) == (
        403, "403: 1: No Access: Status Credentials external Platform: CredentialStatus.ERROR")
    client.patch(f"{REG}/set_credentials/{uuid}", json=creds(git_server), headers=auth(bob))
    assert client.get(f"{REG}/get_credentials/{uuid}", headers=auth(bob)).get_json()["status"] == "Valid"
    assert client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(bob)).status_code == 204
    # nobody else's token shows up in listings or entries
    listing = client.get(REG, headers=auth(bob)).get_data(as_text=True)
    assert git_server.password not in listing and "bob-wrong-token" not in listing
    assert all("bob-wrong-token" not in r.getMessage() and git_server.password not in r.getMessage()
               for r in caplog.records)


def test_credentials_on_a_public_entry_are_refused(client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    uuid = create(client, token, repo.url).get_json()["uuid"]
    public = "422: 13: Repository Registry Validation Error: This Repository is Public"
    assert detail(client.get(f"{REG}/get_credentials/{uuid}", headers=auth(token))) == (422, public)
    assert detail(client.patch(f"{REG}/set_credentials/{uuid}", json={"username": "u", "pat_token": "p"},
                               headers=auth(token))) == (422, public)


def test_private_entry_access_messages(client, git_server, repo_cache):
    repo = make_unit_repo(git_server, private=True)
    _, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    uuid = create(client, alice, repo.url, public=False, credentials=creds(git_server)).get_json()["uuid"]
    assert detail(client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(bob))) == (
        403, "403: 1: No Access: This User has no external Platform Credentials for operation with RepositoryRegistry")
    assert detail(client.patch(f"{REG}/update_local_repository/{uuid}"))[0] == 403


def test_branch_commits_pagination_and_tags(client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    for n in range(12):
        repo.commit(f"extra-{n}")
    repo.tag("v1.0.0")
    repo.push()
    _, token = new_user(client, "alice")
    uuid = create(client, token, repo.url).get_json()["uuid"]
    url = f"{REG}/branch_commits/{uuid}"
    default = client.get(url, query_string={"repo_branch": "main"}, headers=auth(token)).get_json()
    assert len(default) == 10 and default[0] == {"commit": repo.head(), "summary": "extra-11", "tag": "v1.0.0"}
    page = client.get(url, query_string={"repo_branch": "main", "offset": 12, "limit": 100}, headers=auth(token)).get_json()
    assert [c["summary"] for c in page] == ["c3", "c2", "c1"]
    assert [c["tag"] for c in page] == [None, "v0.2.0", "v0.1.0"]
    tags = client.get(url, query_string={"repo_branch": "main", "only_tag": "true"}, headers=auth(token)).get_json()
    assert [(c["summary"], c["tag"]) for c in tags] == [("extra-11", "v1.0.0"), ("c2", "v0.2.0"), ("c1", "v0.1.0")]
    broken = client.get(url, query_string={"repo_branch": "broken", "only_tag": "true"}, headers=auth(token)).get_json()
    assert [c["tag"] for c in broken] == ["v0.1.1-broken", "v0.1.0"]
    assert client.get(url, query_string={"repo_branch": "main", "limit": 0}, headers=auth(token)).get_json() == []
    assert detail(client.get(url, query_string={"repo_branch": "main", "limit": 501}, headers=auth(token))) == (
        422, "422: 2: Validation Error: limit must be <= 500")
    assert detail(client.get(url, query_string={"repo_branch": "main", "offset": -1}, headers=auth(token))) == (
        422, "422: 2: Validation Error: offset must be >= 0")
    assert detail(client.get(url, query_string={"repo_branch": "nope"}, headers=auth(token))) == (
        422, "422: 5: Git Repo Validation Error: Branch nope not found, available: ['broken', 'dev', 'main']")
    assert client.get(url, headers=auth(token)).status_code == 422  # repo_branch is required
    assert detail(client.get(url, query_string={"repo_branch": "main"}))[0] == 403


def test_update_local_repository_sees_pushed_branches_and_tags(app, client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    uuid = create(client, token, repo.url).get_json()["uuid"]
    url = f"{REG}/branch_commits/{uuid}"
    old_head = repo.head()
    repo.commit("c4", {"main.py": "print('v4')\n"})
    repo.tag("v0.4.0")
    repo.branch("feature")
    repo.commit("f1")
    repo.checkout("main")
    repo.delete_branch("dev")
    repo.push()
    assert client.get(url, query_string={"repo_branch": "main"}, headers=auth(token)).get_json()[0]["commit"] == old_head
    assert client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(token)).status_code == 204
    head = client.get(url, query_string={"repo_branch": "main"}, headers=auth(token)).get_json()[0]
    assert head == {"commit": repo.commits["c4"], "summary": "c4", "tag": "v0.4.0"}
    entry = client.get(f"{REG}/{uuid}", headers=auth(token)).get_json()
    assert entry["branches"] == ["broken", "feature", "main"] and entry["sync_status"] == "Updated"
    # a sync still running less than PU_MIN_INTERVAL_SYNC_REPOSITORY ago is refused
    with app.app_context():
        row = db.session.get(RepositoryRegistry, uuid)
        row.sync_status, row.sync_last_datetime = RepositoryRegistryStatus.PROCESSING, utcnow()
        db.session.commit()
    status, text = detail(client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(token)))
    assert status == 422 and text.startswith("422: 13: Repository Registry Validation Error: Sync is not available, last sync was ")
    assert text.endswith(" s ago, but it should have taken at least 10 s")


def test_failed_sync_is_recorded_on_the_entry(app, client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    uuid = create(client, token, repo.url).get_json()["uuid"]
    os.rename(repo.bare, str(repo.bare) + ".moved")  # the remote disappears
    try:
        assert detail(client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(token))) == (
            422, "422: 5: Git Repo Validation Error: No valid repo_url or credentials")
    finally:
        os.rename(str(repo.bare) + ".moved", repo.bare)
    entry = client.get(f"{REG}/{uuid}").get_json()
    assert entry["sync_status"] == "Error"
    assert entry["sync_error"] == "422: 5: Git Repo Validation Error: No valid repo_url or credentials"
    assert entry["branches"] == ["broken", "dev", "main"]  # the old clone stays readable
    assert client.patch(f"{REG}/update_local_repository/{uuid}", headers=auth(token)).status_code == 204
    assert client.get(f"{REG}/{uuid}").get_json()["sync_status"] == "Updated"


def test_list_filters_and_anonymous_view(client, git_server, repo_cache):
    public = make_unit_repo(git_server)
    private = make_unit_repo(git_server, private=True)
    alice_user, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    pub = create(client, alice, public.url).get_json()
    priv = create(client, bob, private.url, public=False, credentials=creds(git_server)).get_json()
    everything = client.get(REG, headers=auth(alice)).get_json()
    assert everything["count"] == 2 and len(everything["repositories_registry"]) == 2
    anonymous = client.get(REG, query_string={"is_public_repository": "false"}).get_json()
    assert anonymous["count"] == 1 and anonymous["repositories_registry"][0]["uuid"] == pub["uuid"]
    only_private = client.get(REG, query_string={"is_public_repository": "false"}, headers=auth(alice)).get_json()
    assert [r["uuid"] for r in only_private["repositories_registry"]] == [priv["uuid"]]
    by_creator = client.get(REG, query_string={"creator_uuid": alice_user["uuid"]}, headers=auth(bob)).get_json()
    assert [r["uuid"] for r in by_creator["repositories_registry"]] == [pub["uuid"]]
    found = client.get(REG, query_string={"search_string": f"private {private.name}"}, headers=auth(alice)).get_json()
    assert [r["uuid"] for r in found["repositories_registry"]] == [priv["uuid"]]
    paged = client.get(REG, query_string={"limit": 1, "order_by_create_date": "asc"}, headers=auth(alice)).get_json()
    assert paged["count"] == 2 and [r["uuid"] for r in paged["repositories_registry"]] == [pub["uuid"]]
    assert client.get(REG, query_string={"uuids": [priv["uuid"]]}, headers=auth(alice)).get_json()["count"] == 1
    assert client.get(REG, query_string={"limit": 501}, headers=auth(alice)).status_code == 422


def test_delete_is_for_the_creator_and_refused_while_repos_use_it(app, client, git_server, repo_cache):
    repo = make_unit_repo(git_server)
    _, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    uuid = create(client, alice, repo.url).get_json()["uuid"]
    made = client.post(f"{API}/repos", headers=auth(bob), json={
        "repository_registry_uuid": uuid, "default_branch": "main", "visibility_level": "Public",
        "name": "bobs_repo", "is_compilable_repo": False})
    assert made.status_code == 201, made.get_json()
    assert detail(client.delete(f"{REG}/{uuid}", headers=auth(bob))) == (
        403, "403: 1: No Access: AgentUser is not creator this entity - RepositoryRegistry.")
    assert detail(client.delete(f"{REG}/{uuid}", headers=auth(alice))) == (
        422, "422: 2: Validation Error: The array was expected to be empty, but it turned out to be full")
    assert repo_cache.clones() == [uuid]
    assert client.delete(f"{API}/repos/{made.get_json()['uuid']}", headers=auth(bob)).status_code == 204
    assert client.delete(f"{REG}/{uuid}", headers=auth(alice)).status_code == 204
    assert repo_cache.clones() == [] and registry_count(app) == 0
    assert detail(client.get(f"{REG}/{uuid}")) == (422, "422: 2: Validation Error: The object does not exist")


def test_backend_sync_registry_restores_missing_clones(app, client, git_server, repo_cache, settings):
    import shutil

    from pepeunit.broker.identity import issue_backend_token

    repo = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    uuid = create(client, token, repo.url).get_json()["uuid"]
    shutil.rmtree(repo_cache.path / uuid)
    assert client.get(f"{REG}/{uuid}").get_json()["branches"] == []
    assert detail(client.patch(f"{REG}/backend_sync_registry", headers=auth(token)))[0] == 403
    response = client.patch(f"{REG}/backend_sync_registry", headers=auth(issue_backend_token(settings)))
    assert response.status_code == 204
    assert client.get(f"{REG}/{uuid}").get_json()["branches"] == ["broken", "dev", "main"]
