"""A unit of an auto-update repo whose default branch is gone upstream answers the git error naming it."""
from ..git_server import make_unit_repo
from ..helpers import API, auth, new_user
from ..unit_repo import create_unit
from .test_repos import REG, detail, new_repo, registry

GONE = "422: 5: Git Repo Validation Error: Branch dev not found, available: ['broken', 'main']"


def test_unit_operations_name_the_missing_default_branch(client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    _, token = new_user(client, "alice")
    reg = registry(client, token, upstream.url)
    repo = new_repo(client, token, reg, branch="dev").get_json()  # auto-update, tag-only: v0.2.0 on dev
    unit = create_unit(client, token, repo["uuid"], "unit-one")

    upstream.delete_branch("dev")
    upstream.push()
    assert client.patch(f"{REG}/update_local_repository/{reg}", headers=auth(token)).status_code == 204

    assert detail(client.patch(f"{API}/units/{unit['uuid']}", json={"name": "renamed"}, headers=auth(token))) == (
        422, GONE)
    assert detail(client.post(f"{API}/units", headers=auth(token), json={
        "repo_uuid": repo["uuid"], "visibility_level": "Public", "name": "unit-two",
        "is_auto_update_from_repo_unit": True})) == (422, GONE)
    assert detail(client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(token))) == (422, GONE)
