"""Compiled-firmware releases: registry create/sync read the platform's releases API (the
stand-in in tests/releases_standin.py), and the v1.2 rules that use them hold over REST and GraphQL."""
import io
import json
import uuid
import zipfile

import pytest

from pepeunit.extensions import db
from pepeunit.models import BackendTopicCommand, Repo, RepositoryRegistry, Unit
from pepeunit.services import repository_registry as registry_service
from pepeunit.services.target_version import local_repository, unit_source
from pepeunit.services.unit_commands import payload_for

from ..git_server import make_unit_repo
from ..helpers import API, auth, gql, gql_error, new_user

REG = f"{API}/repository_registry"
V2 = [("esp32.bin", "https://files.example/v2/esp32.bin"), ("rp2040.uf2", "https://files.example/v2/rp2040.uf2")]


def create(client, token, repo, platform="Github", credentials=None):
    body = {"platform": platform, "repository_url": repo.url, "is_public_repository": not repo.private}
    if credentials:
        body["credentials"] = credentials
    response = client.post(REG, json=body, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stored(app, uuid_):
    with app.app_context():
        row = db.session.get(RepositoryRegistry, uuid.UUID(uuid_))
        return row.sync_status.value, row.sync_error, json.loads(row.releases_data) if row.releases_data else None


def sync(client, token, uuid_):
    return client.patch(f"{REG}/update_local_repository/{uuid_}", headers=auth(token))


@pytest.mark.parametrize("platform", ["Github", "Gitlab"])
def test_create_and_sync_store_every_release(app, client, git_server, repo_cache, platform):
    upstream = make_unit_repo(git_server)
    for n in range(4):  # more than one page of the stand-in
        git_server.releases.publish(upstream, f"v0.0.{n}", [(f"fw-{n}.bin", f"https://files.example/{n}.bin")])
    _, token = new_user(client, "alice")
    body = create(client, token, upstream, platform)
    expected = {f"v0.0.{n}": [[f"fw-{n}.bin", f"https://files.example/{n}.bin"]] for n in range(4)}
    if platform == "Gitlab":  # the archive sources come first
        for tag, assets in expected.items():
            web = upstream.url[:-4]
            expected[tag] = [[f, f"{web}/-/archive/{tag}/{upstream.name}-{tag}.{f}"]
                             for f in ("zip", "tar.gz", "tar.bz2", "tar")] + assets
    assert body["sync_status"] == "Updated" and json.loads(body["releases_data"]) == expected
    git_server.releases.publish(upstream, "v0.2.0", V2)
    assert sync(client, token, body["uuid"]).status_code == 204
    status, error, releases = stored(app, body["uuid"])
    assert (status, error) == ("Updated", None) and [n for n, _ in releases["v0.2.0"][-2:]] == ["esp32.bin", "rp2040.uf2"]


@pytest.mark.parametrize("platform", ["Github", "Gitlab"])
def test_private_registry_calls_the_api_with_its_stored_pat(app, client, git_server, repo_cache, platform):
    upstream = make_unit_repo(git_server, private=True)
    git_server.releases.publish(upstream, "v0.2.0", V2)
    _, token = new_user(client, "alice")
    credentials = {"username": git_server.username, "pat_token": git_server.password}
    body = create(client, token, upstream, platform, credentials)
    assert body["sync_status"] == "Updated", body["sync_error"]
    assert json.loads(body["releases_data"])["v0.2.0"][-1] == ["rp2040.uf2", V2[1][1]]
    calls = [c for c in git_server.releases.calls_for(platform) if upstream.name in c["path"]]
    header = "Authorization" if platform == "Github" else "PRIVATE-TOKEN"
    expected = f"Bearer {git_server.password}" if platform == "Github" else git_server.password
    assert calls and {c["headers"].get(header) for c in calls} == {expected}


def test_public_github_calls_use_the_instance_token(app, client, git_server, repo_cache):
    repo_cache._set(PU_GITHUB_TOKEN_NAME="instance-bot", PU_GITHUB_TOKEN_PAT="ghp-instance-token-123")
    git_server.releases.instance_tokens.add("ghp-instance-token-123")
    upstream = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    assert create(client, token, upstream)["sync_status"] == "Updated"
    calls = [c for c in git_server.releases.calls_for("Github") if upstream.name in c["path"]]
    assert [c["headers"]["Authorization"] for c in calls] == ["Bearer ghp-instance-token-123"]


@pytest.mark.parametrize(("mode", "detail"), [
    ("ratelimit", "422: 14: Git Platform Client Error: Rate limit external API"),
    ("error500", "422: 14: Git Platform Client Error: Releases API of Github answered HTTP 500"),
    ("malformed", "422: 9: JSON Decode Error: Data releases for compile repo is invalid"),
    ("slow", "422: 14: Git Platform Client Error: Releases API of Github did not answer within 1 s"),
])
def test_a_failing_api_is_the_stored_sync_error_and_the_fetch_is_kept(app, client, git_server, repo_cache,
                                                                      mode, detail):
    upstream = make_unit_repo(git_server)
    git_server.releases.publish(upstream, "v0.2.0", V2)
    _, token = new_user(client, "alice")
    body = create(client, token, upstream)
    before = json.loads(body["releases_data"])
    new_head = upstream.commit("c4", {"main.py": "print('v4')\n"})
    upstream.push()
    git_server.releases.publish(upstream, "v9.9.9", [("never.bin", "https://files.example/never.bin")])
    git_server.releases.modes[(False, upstream.name)] = mode
    repo_cache._set(PU_RELEASES_API_TIMEOUT_SECONDS=1)
    git_server.releases.slow_seconds = 2
    response = sync(client, token, body["uuid"])
    assert (response.status_code, response.get_json()["detail"]) == (422, detail)
    assert stored(app, body["uuid"]) == ("Error", detail, before)  # old releases kept, not half-replaced
    with app.app_context():  # the git fetch itself was kept
        clone = local_repository(db.session.get(RepositoryRegistry, uuid.UUID(body["uuid"])))
        assert clone.commits("main")[0].commit == new_head
    # GraphQL answers the same text
    mutation = "mutation($u: UUID!) { updateLocalRepository(uuid: $u) { isNone } }"
    assert gql_error(gql(client, mutation, {"u": body["uuid"]}, token)) == detail
    # the hourly job records the same error and never raises
    with app.app_context():
        assert registry_service.sync_all() == {body["uuid"]: "Error"}
    assert stored(app, body["uuid"])[:2] == ("Error", detail)
    # once the API answers again, the next sync clears the error
    del git_server.releases.modes[(False, upstream.name)]
    assert sync(client, token, body["uuid"]).status_code == 204
    status, error, releases = stored(app, body["uuid"])
    assert (status, error) == ("Updated", None) and "v9.9.9" in releases


def test_create_keeps_the_clone_when_the_api_fails(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    git_server.releases.modes[(False, upstream.name)] = "ratelimit"
    _, token = new_user(client, "alice")
    body = create(client, token, upstream, "Gitlab")
    assert (body["sync_status"], body["sync_error"], body["releases_data"]) == (
        "Error", "422: 14: Git Platform Client Error: Rate limit external API", None)
    assert body["branches"] == ["broken", "dev", "main"] and repo_cache.clones() == [body["uuid"]]


# ------------------------------------------------------------- the rules that use releases
def compiled_repo(client, token, registry_uuid, name="compiled"):
    response = client.post(f"{API}/repos", json={
        "repository_registry_uuid": registry_uuid, "default_branch": "main", "visibility_level": "Public",
        "name": name, "is_compilable_repo": True}, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["uuid"]


def new_unit(client, token, repo_uuid, name, **fields):
    body = {"repo_uuid": repo_uuid, "visibility_level": "Public", "name": name,
            "is_auto_update_from_repo_unit": True, **fields}
    return client.post(f"{API}/units", json=body, headers=auth(token))


def test_compiled_firmware_path_uses_the_synced_releases(app, client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)  # tags: v0.1.0 (c1), v0.2.0 (c2, the compilable target)
    git_server.releases.publish(upstream, "v0.2.0", V2)
    _, token = new_user(client, "alice")
    registry_uuid = create(client, token, upstream)["uuid"]
    repo_uuid = compiled_repo(client, token, registry_uuid)
    # getAvailablePlatforms, REST and GraphQL: the target tag's assets
    platforms = [{"name": n, "link": u} for n, u in V2]
    assert client.get(f"{API}/repos/available_platforms/{repo_uuid}", headers=auth(token)).get_json() == platforms
    query = "query($u: UUID!, $t: String) { getAvailablePlatforms(uuid: $u, targetTag: $t) { name link } }"
    assert gql(client, query, {"u": repo_uuid}, token)["data"]["getAvailablePlatforms"] == platforms
    assert gql(client, query, {"u": repo_uuid, "t": "v0.1.0"}, token)["data"]["getAvailablePlatforms"] == []
    # targetFirmwarePlatform validated at create: unknown platform, then a tag without releases
    wrong = new_unit(client, token, repo_uuid, "unit-a", target_firmware_platform="stm32")
    assert (wrong.status_code, wrong.get_json()["detail"]) == (422, (
        "422: 5: Git Repo Validation Error: Not find platform stm32, available: ['esp32.bin', 'rp2040.uf2']"))
    pinned = new_unit(client, token, repo_uuid, "unit-b", target_firmware_platform="esp32.bin",
                      is_auto_update_from_repo_unit=False, repo_branch="main", repo_commit=upstream.commits["c1"])
    assert pinned.get_json()["detail"] == "422: 5: Git Repo Validation Error: Target Tag has no platforms"
    created = new_unit(client, token, repo_uuid, "unit-a", target_firmware_platform="esp32.bin")
    assert created.status_code == 201, created.get_json()
    unit = created.get_json()
    # ... and at update: refused, nothing changed
    refused = client.patch(f"{API}/units/{unit['uuid']}", json={"target_firmware_platform": "stm32"},
                           headers=auth(token))
    assert refused.status_code == 422 and "Not find platform stm32" in refused.get_json()["detail"]
    assert client.get(f"{API}/units/{unit['uuid']}", headers=auth(token)).get_json()[
        "target_firmware_platform"] == "esp32.bin"
    # the archive of a compiled unit holds env.json and schema.json only
    archive = client.get(f"{API}/units/firmware/zip/{unit['uuid']}", headers=auth(token))
    assert archive.status_code == 200
    assert sorted(zipfile.ZipFile(io.BytesIO(archive.data)).namelist()) == ["env.json", "schema.json"]
    # the Update command carries the synced download link of the unit's platform
    with app.app_context():
        row = db.session.get(Unit, uuid.UUID(unit["uuid"]))
        source = unit_source(row, db.session.get(Repo, uuid.UUID(repo_uuid)))
        assert payload_for(BackendTopicCommand.UPDATE, source.repo, row, source.version) == {
            "COMMAND": "Update", "PU_COMMIT_VERSION": upstream.commits["c2"],
            "COMPILED_FIRMWARE_LINK": "https://files.example/v2/esp32.bin"}
