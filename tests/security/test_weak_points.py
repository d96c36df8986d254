"""Upstream weak points (docs/security.md) that no other test shows: each test names its items."""
from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from sqlalchemy.exc import IntegrityError

from pepeunit.broker.identity import issue_backend_token
from pepeunit.extensions import db
from pepeunit.git import LocalRepository
from pepeunit.models import Permission, PermissionEntities, UnitNodeEdge, UnitNodeTypeEnum, User, VisibilityLevel
from pepeunit.services import metrics
from pepeunit.services.agents import decode_token
from pepeunit.services.target_version import branch_commits

from .. import world
from ..git_server import make_unit_repo
from ..helpers import API, PASSWORD, auth, git, gql, gql_error, new_user, new_work_repo, register
from ..unit_repo import commit_files

NOT_FOUND = "422: 2: Validation Error: The object does not exist"


def detail(response):
    return response.status_code, (response.get_json() or {}).get("detail")


def nodes_of(client, token, unit_uuid) -> dict:
    body = client.get(f"{API}/unit_nodes", query_string={"unit_uuid": unit_uuid}, headers=auth(token)).get_json()
    return {n["topic_name"]: n["uuid"] for n in body["unit_nodes"]}


def test_unknown_uuids_answer_not_found(unit_world):
    """model-services 6, api W16, head quirk 6: existence is checked, never a 500."""
    client, token, missing = unit_world.client, unit_world.token, uuid.uuid4()
    calls = [("get", f"/unit_nodes/{missing}", None), ("get", f"/units/{missing}", None),
             ("get", f"/units/env/{missing}", None), ("patch", f"/units/env/{missing}", {"env_json_string": "{}"}),
             ("delete", f"/units/env/{missing}", None), ("get", f"/units/firmware/tar/{missing}", None),
             ("get", f"/units/get_state_storage/{missing}", None), ("patch", f"/users/block/{missing}", None),
             ("patch", f"/repos/{missing}", {"name": "another"}), ("delete", f"/repository_registry/{missing}", None)]
    for method, path, body in calls:
        assert detail(getattr(client, method)(API + path, json=body, headers=auth(token))) == (422, NOT_FOUND), path
    answer = gql(client, "query($u: UUID!) { getUnitNode(uuid: $u) { uuid } }", {"u": str(missing)}, token)
    assert gql_error(answer) == NOT_FOUND


def test_type_is_checked_before_the_lookup(unit_world):
    """Anonymous and unit callers of creator-only routes learn nothing about which uuids exist."""
    client, missing = unit_world.client, uuid.uuid4()
    only_users = "403: 1: No Access: AgentBot access not allowed, only for [<AgentType.USER: 'User'>]"
    for method, path in (("patch", f"/repos/{missing}"), ("delete", f"/repos/{missing}"),
                         ("delete", f"/repository_registry/{missing}")):
        assert detail(getattr(client, method)(API + path, json={"name": "x_name"})) == (403, only_users), path


def test_graphql_types_carry_every_field(unit_world):
    """model-services 7, api W20: metrics with the edge count, nodes with create time and creator, edges."""
    client, token = unit_world.client, unit_world.token
    unit = unit_world.create_unit("gql_fields")
    nodes = nodes_of(client, token, unit["uuid"])
    edge = gql(client, """mutation($o: UUID!, $i: UUID!) { createUnitNodeEdge(unitNodeEdge:
        {nodeOutputUuid: $o, nodeInputUuid: $i}) { uuid nodeOutputUuid nodeInputUuid __typename } }""",
               {"o": nodes["output/pepeunit"], "i": nodes["input/pepeunit"]}, token)["data"]["createUnitNodeEdge"]
    assert edge["__typename"] == "UnitNodeEdgeType" and edge["nodeInputUuid"] == nodes["input/pepeunit"]
    node = gql(client, "query($u: UUID!) { getUnitNode(uuid: $u) { createDatetime creatorUuid } }",
               {"u": nodes["raw_in"]}, token)["data"]["getUnitNode"]
    assert node["creatorUuid"] == unit_world.user["uuid"] and node["createDatetime"]
    counts = gql(client, "{ getBaseMetrics { unitNodeEdgeCount unitNodeCount } }", token=token)
    assert counts["data"]["getBaseMetrics"] == {"unitNodeEdgeCount": 1, "unitNodeCount": 4}


def test_branch_names_and_tag_order(app, tmp_path):
    """model-services 14-15, api W24-W25: every branch kept, no HEAD; newest tag by commit order."""
    work = new_work_repo(tmp_path / "work")
    commit_files(work, {"a.txt": "1"}, "older", tag="v0.9")
    newest = commit_files(work, {"a.txt": "2"}, "newer", tag="v0.10")
    for name in ("Dev", "1.x", "A"):
        git(work, "branch", name)
    clone = LocalRepository.clone(f"file://{work}", tmp_path / "clone")
    assert clone.branches() == ["1.x", "A", "Dev", "main"]
    commits = branch_commits(clone, "main")
    assert [(c.commit == newest, c.tag) for c in commits] == [(True, "v0.10"), (False, "v0.9")]


def test_agent_is_per_request(app, client):
    """model-services 20, api W1: concurrent callers never see each other's identity."""
    users = [new_user(client, f"thread_user{i}") for i in range(4)]

    def call(i):
        login, token = users[i % 4][0]["login"], users[i % 4][1]
        if i % 5 == 0:  # anonymous callers mixed in
            return app.test_client().get(f"{API}/users").status_code == 403
        return app.test_client().patch(f"{API}/users/{users[i % 4][0]['uuid']}", json={},
                                       headers=auth(token)).get_json()["login"] == login

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(call, range(80)))


def test_unit_on_a_repo_the_caller_cannot_see(unit_world):
    """model-services 21, api W11: a Private repo's code is not built into a stranger's unit."""
    client = unit_world.client
    created = client.post(f"{API}/repos", headers=auth(unit_world.token), json={
        "repository_registry_uuid": str(unit_world.registry_uuid), "default_branch": "main",
        "visibility_level": "Private", "name": "repo-private", "is_compilable_repo": False})
    assert created.status_code == 201, created.get_json()
    private_uuid = created.get_json()["uuid"]
    stranger, token = new_user(client, "stranger_1")
    body = {"repo_uuid": private_uuid, "visibility_level": "Private", "name": "stolen", "is_auto_update_from_repo_unit": True}
    assert detail(client.post(f"{API}/units", json=body, headers=auth(token))) == (
        403, "403: 1: No Access: Private visibility level is not allowed")
    grant = {"agent_uuid": stranger["uuid"], "agent_type": "User", "resource_uuid": private_uuid, "resource_type": "Repo"}
    assert client.post(f"{API}/permission", json=grant, headers=auth(unit_world.token)).status_code == 201
    assert client.post(f"{API}/units", json=body, headers=auth(token)).status_code == 201


def test_edges_need_the_input_owner_and_the_output_owner_may_remove_them(unit_world):
    """model-services 22, api W11: nobody routes values into someone else's input; both owners may unlink."""
    client, owner_token = unit_world.client, unit_world.token
    mine = nodes_of(client, owner_token, unit_world.create_unit("owner_unit")["uuid"])
    _, stranger = new_user(client, "stranger_2")
    _, third = new_user(client, "third_user")
    theirs = nodes_of(client, stranger, unit_world.create_unit("stranger_unit", token=stranger)["uuid"])
    pushed = client.post(f"{API}/unit_nodes/create_unit_node_edge", headers=auth(stranger), json={
        "node_output_uuid": theirs["output/pepeunit"], "node_input_uuid": mine["input/pepeunit"]})
    assert detail(pushed) == (403, "403: 1: No Access: AgentUser is not creator this entity - UnitNode.")
    linked = client.post(f"{API}/unit_nodes/create_unit_node_edge", headers=auth(owner_token), json={
        "node_output_uuid": theirs["output/pepeunit"], "node_input_uuid": mine["input/pepeunit"]})
    assert linked.status_code == 201
    unlink = "mutation($i: UUID!, $o: UUID!) { deleteUnitNodeEdge(inputUuid: $i, outputUuid: $o) { isNone } }"
    pair = {"i": mine["input/pepeunit"], "o": theirs["output/pepeunit"]}
    assert gql_error(gql(client, unlink, pair, third)) == \
        "403: 1: No Access: AgentUser is not creator this entity - UnitNodeEdge."
    assert gql(client, unlink, pair, stranger)["data"]["deleteUnitNodeEdge"] == {"isNone": True}


def test_tokens_of_deleted_units_and_the_backend(unit_world):
    """model-services 24, api W8: a deleted unit's token stops working; the backend token has no expiry."""
    client, token = unit_world.client, unit_world.token
    unit = unit_world.create_unit("short_lived")
    env = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    unit_token = env["PU_AUTH_TOKEN"]
    assert client.get(f"{API}/units/get_state_storage/{unit['uuid']}", headers=auth(unit_token)).status_code == 200
    assert client.delete(f"{API}/units/{unit['uuid']}", headers=auth(token)).status_code == 204
    assert detail(client.get(f"{API}/units", headers=auth(unit_token))) == (403, "403: 1: No Access: Unit not found")
    settings = unit_world.settings
    claims = decode_token(issue_backend_token(settings), settings)
    assert "exp" not in claims and claims["type"] == "Backend"
    assert jwt.decode(issue_backend_token(settings), options={"verify_signature": False}) == claims


def test_login_wins_over_a_telegram_chat_id(app, client):
    """model-services 26, api W4: a digits-only login equal to someone's chat id logs in as its owner."""
    digits = register(client, "123456789")
    other = register(client, "chat_owner")
    with app.app_context():
        db.session.get(User, uuid.UUID(other["uuid"])).telegram_chat_id = "123456789"
        db.session.commit()
    token = client.post(f"{API}/users/auth", json={"credentials": "123456789", "password": PASSWORD}).get_json()
    assert jwt.decode(token["token"], options={"verify_signature": False})["uuid"] == digits["uuid"]
    with app.app_context():
        db.session.get(User, uuid.UUID(other["uuid"])).telegram_chat_id = "987654321"
        db.session.commit()
    by_chat = client.post(f"{API}/users/auth", json={"credentials": "987654321", "password": PASSWORD}).get_json()
    assert jwt.decode(by_chat["token"], options={"verify_signature": False})["uuid"] == other["uuid"]


def test_edges_and_permissions_are_unique_in_the_database(app, client):
    """model-services 29: duplicates are refused by constraints, not only by check-then-insert."""
    user = register(client, "unique_owner")
    with app.app_context():
        unit = world.unit(user["uuid"], world.repo(user["uuid"], bare=True, grants=True), bare=True, grants=True)
        out = world.node(unit, UnitNodeTypeEnum.OUTPUT, "out/pepeunit", grants=True)
        inp = world.node(unit, UnitNodeTypeEnum.INPUT, "in/pepeunit", grants=True)
        rows = [lambda: UnitNodeEdge(node_output_uuid=out.uuid, node_input_uuid=inp.uuid, creator_uuid=unit.creator_uuid),
                lambda: Permission(agent_type=PermissionEntities.USER, agent_user_uuid=unit.creator_uuid,
                                   resource_type=PermissionEntities.UNIT, resource_unit_uuid=unit.uuid)]
        db.session.add(rows[0]())
        db.session.commit()
        for make in rows:
            db.session.add(make())
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()


def test_search_does_not_treat_wildcards_as_wildcards(client):
    """api W19: ``_`` and ``%`` in a search string match themselves."""
    _, token = new_user(client, "a_b_one")
    register(client, "axb_two")
    found = client.get(f"{API}/users", query_string={"search_string": "a_b"}, headers=auth(token)).get_json()
    assert [u["login"] for u in found["users"]] == ["a_b_one"]
    assert client.get(f"{API}/users", query_string={"search_string": "%"}, headers=auth(token)).get_json()["count"] == 0


def test_blocking_rules(client):
    """api W13, head quirk 9: an admin cannot block itself; a blocked user gets no token."""
    admin, admin_token = new_user(client, "the_admin")
    victim, _ = new_user(client, "the_victim")
    assert detail(client.patch(f"{API}/users/block/{admin['uuid']}", headers=auth(admin_token))) == (
        422, "422: 3: User Validation Error: An admin cannot block itself")
    assert client.patch(f"{API}/users/block/{victim['uuid']}", headers=auth(admin_token)).status_code == 204
    assert detail(client.post(f"{API}/users/auth", json={"credentials": "the_victim", "password": PASSWORD})) == (
        403, "403: 1: No Access: Agent is blocked or not found")
    refused = gql(client, 'query { getToken(data: {credentials: "the_victim", password: "%s"}) }' % PASSWORD)
    assert gql_error(refused) == "403: 1: No Access: Agent is blocked or not found"


def test_metrics_cache_is_per_scope_and_checked_after_access(app, client, monkeypatch):
    """head quirk 15 and the metrics decision: access first, then a cache per visibility scope."""
    monkeypatch.setitem(app.config, "PU_SETTINGS", dataclasses.replace(app.config["PU_SETTINGS"],
                                                                       PU_METRICS_CACHE_SECONDS=600))
    monkeypatch.setattr(metrics, "_cache", {})
    owner, token = new_user(client, "metric_owner")
    with app.app_context():
        world.repo(owner["uuid"], None, VisibilityLevel.PRIVATE, bare=True, grants=True)
        world.repo(owner["uuid"], None, VisibilityLevel.INTERNAL, bare=True, grants=True)
    assert client.get(f"{API}/metrics/").get_json()["repo_count"] == 0
    assert client.get(f"{API}/metrics/", headers=auth(token)).get_json()["repo_count"] == 2
    forged = jwt.encode({"uuid": owner["uuid"], "type": "User"}, "another-key-0123456789-0123456789", "HS256")
    assert detail(client.get(f"{API}/metrics/", headers=auth(forged))) == (403, "403: 1: No Access: Token is invalid")
    with app.app_context():
        world.repo(owner["uuid"], None, VisibilityLevel.PUBLIC, bare=True, grants=True)
    assert client.get(f"{API}/metrics/", headers=auth(token)).get_json()["repo_count"] == 2  # cached for its scope
    assert gql(client, "{ getBaseMetrics { repoCount } }")["data"]["getBaseMetrics"]["repoCount"] == 0


def test_verification_link_route_needs_its_slash(client):
    """head quirk 16: the slashless spelling redirects instead of failing as a bad user uuid."""
    _, token = new_user(client, "slash_user")
    response = client.get(f"{API}/users/generate_verification_link", headers=auth(token))
    assert response.status_code == 308 and response.headers["Location"].endswith("/generate_verification_link/")


def test_set_input_needs_the_creator_or_a_permission(unit_world):
    """api W11: seeing a Public input is not enough to drive it."""
    client, owner = unit_world.client, unit_world.token
    node = nodes_of(client, owner, unit_world.create_unit("actuator")["uuid"])["input/pepeunit"]
    visitor, token = new_user(client, "visitor_1")
    assert detail(client.patch(f"{API}/unit_nodes/set_state_input/{node}", json={"state": "on"}, headers=auth(token))) \
        == (403, "403: 1: No Access: AgentUser is not creator this entity - UnitNode.")
    grant = {"agent_uuid": visitor["uuid"], "agent_type": "User", "resource_uuid": node, "resource_type": "UnitNode"}
    assert client.post(f"{API}/permission", json=grant, headers=auth(owner)).status_code == 201
    done = client.patch(f"{API}/unit_nodes/set_state_input/{node}", json={"state": "on"}, headers=auth(token))
    assert done.status_code == 200 and done.get_json()["state"] == "on"


def test_private_registry_history_needs_credentials(client, git_server, repo_cache):
    """A private repository's branches and commits are shown only to users with valid credentials."""
    served = make_unit_repo(git_server, private=True)
    _, owner = new_user(client, "reg_owner")
    _, stranger = new_user(client, "reg_stranger")
    created = client.post(f"{API}/repository_registry", headers=auth(owner), json={
        "platform": "Github", "repository_url": served.url, "is_public_repository": False,
        "credentials": {"username": git_server.username, "pat_token": git_server.password}}).get_json()
    path = f"{API}/repository_registry/{created['uuid']}"
    assert created["branches"] == ["broken", "dev", "main"]
    assert client.get(path, headers=auth(stranger)).get_json()["branches"] == []
    commits = f"{API}/repository_registry/branch_commits/{created['uuid']}"
    assert detail(client.get(commits, query_string={"repo_branch": "main"}, headers=auth(stranger))) == (
        403, "403: 1: No Access: This User has no external Platform Credentials for operation with RepositoryRegistry")
    assert len(client.get(commits, query_string={"repo_branch": "main"}, headers=auth(owner)).get_json()) == 3


def test_unit_update_moves_last_update_forward(unit_world):
    """model-services 10: an update records its time (v1.2 put the old value back)."""
    client, token = unit_world.client, unit_world.token
    unit = unit_world.create_unit("timed_unit")
    updated = client.patch(f"{API}/units/{unit['uuid']}", json={"name": "timed_unit2"}, headers=auth(token))
    assert updated.status_code == 200
    assert updated.get_json()["last_update_datetime"] > unit["last_update_datetime"]


def test_env_json_fixed_protocol_values(unit_world):
    """head-protocol 2-3: env.json carries the backend's values, as v1.2 does."""
    unit = unit_world.create_unit("env_values")
    env = unit_world.client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(unit_world.token)).get_json()
    assert (env["PU_MQTT_KEEPALIVE"], env["PU_MQTT_PING_INTERVAL"], env["PU_STATE_SEND_INTERVAL"]) == (60, 20, 60)
