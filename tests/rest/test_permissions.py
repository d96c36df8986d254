"""Permissions over REST and GraphQL: only a resource's creator grants, lists and revokes."""
import uuid

from pepeunit.extensions import db
from pepeunit.models import Permission, VisibilityLevel

from .. import world
from ..helpers import API, auth, gql, gql_error, new_user


def permission_count() -> int:
    return db.session.query(Permission).count()


def setup_world(app, client):
    alice, alice_token = new_user(client, "alice")
    bob, bob_token = new_user(client, "bob_2")
    with app.app_context():
        repo = world.repo(uuid.UUID(alice["uuid"]), None, VisibilityLevel.PRIVATE, bare=True, grants=True)
        unit = world.unit(uuid.UUID(alice["uuid"]), repo, VisibilityLevel.PRIVATE, bare=True, grants=True)
        node = world.node(unit, grants=True)
        ids = {"repo": str(repo.uuid), "unit": str(unit.uuid), "node": str(node.uuid)}
    return alice, alice_token, bob, bob_token, ids


def grant_body(agent_uuid, agent_type, resource_uuid, resource_type):
    return {"agent_uuid": agent_uuid, "agent_type": agent_type, "resource_uuid": resource_uuid,
            "resource_type": resource_type}


def delete_permission(client, agent_uuid, resource_uuid, token):
    return client.delete(f"{API}/permission/x", query_string={"agent_uuid": agent_uuid, "resource_uuid": resource_uuid},
                         headers=auth(token))


def test_creator_grants_lists_and_revokes(app, client):
    alice, alice_token, bob, bob_token, ids = setup_world(app, client)
    created = client.post(f"{API}/permission", json=grant_body(bob["uuid"], "User", ids["unit"], "Unit"),
                          headers=auth(alice_token))
    assert created.status_code == 201
    row = created.get_json()
    assert row["agent_uuid"] == bob["uuid"] and row["resource_type"] == "Unit"
    duplicate = client.post(f"{API}/permission", json=grant_body(bob["uuid"], "User", ids["unit"], "Unit"),
                            headers=auth(alice_token))
    assert duplicate.get_json()["detail"] == "422: 4: Permission Validation Error: Permission is exist"
    listed = client.get(f"{API}/permission/get_resource_agents",
                        query_string={"resource_uuid": ids["unit"], "resource_type": "Unit"},
                        headers=auth(alice_token)).get_json()
    assert listed["count"] == 3  # alice (creator), the unit itself, bob
    only_users = client.get(f"{API}/permission/get_resource_agents",
                            query_string={"resource_uuid": ids["unit"], "resource_type": "Unit",
                                          "agent_type": "User"}, headers=auth(alice_token)).get_json()
    assert {p["agent_uuid"] for p in only_users["permissions"]} == {alice["uuid"], bob["uuid"]}
    deleted = delete_permission(client, bob["uuid"], ids["unit"], alice_token)
    assert deleted.status_code == 204


def test_strangers_cannot_grant_list_or_revoke(app, client):
    alice, alice_token, bob, bob_token, ids = setup_world(app, client)
    before = None
    with app.app_context():
        before = permission_count()
    grant = client.post(f"{API}/permission", json=grant_body(bob["uuid"], "User", ids["repo"], "Repo"),
                        headers=auth(bob_token))
    assert grant.status_code == 403
    assert grant.get_json()["detail"] == "403: 1: No Access: AgentUser is not creator this entity - Repo."
    listing = client.get(f"{API}/permission/get_resource_agents",
                         query_string={"resource_uuid": ids["repo"], "resource_type": "Repo"},
                         headers=auth(bob_token))
    assert listing.status_code == 403
    revoke = delete_permission(client, alice["uuid"], ids["repo"], bob_token)
    assert revoke.status_code == 403
    anonymous = client.post(f"{API}/permission", json=grant_body(bob["uuid"], "User", ids["repo"], "Repo"))
    assert anonymous.status_code == 403
    with app.app_context():
        assert permission_count() == before


def test_grantee_may_drop_own_grant(app, client):
    alice, alice_token, bob, bob_token, ids = setup_world(app, client)
    client.post(f"{API}/permission", json=grant_body(bob["uuid"], "User", ids["node"], "UnitNode"),
                headers=auth(alice_token))
    dropped = delete_permission(client, bob["uuid"], ids["node"], bob_token)
    assert dropped.status_code == 204


def test_protected_permissions_cannot_be_removed(app, client):
    alice, alice_token, bob, bob_token, ids = setup_world(app, client)
    cases = [
        (ids["unit"], ids["unit"], "A resource's access to itself cannot be removed"),
        (alice["uuid"], ids["unit"], "The creator of the resource cannot remove his access to the resource"),
        (ids["unit"], ids["repo"], "You cannot remove Unit's access to the parent Repo"),
        (ids["unit"], ids["node"], "You cannot remove a Unit's access to its child UnitNodes"),
    ]
    for agent_uuid, resource_uuid, message in cases:
        response = delete_permission(client, agent_uuid, resource_uuid, alice_token)
        assert response.status_code == 422
        assert response.get_json()["detail"] == f"422: 4: Permission Validation Error: {message}"


def test_bad_types_and_unknown_entities(app, client):
    alice, alice_token, bob, bob_token, ids = setup_world(app, client)
    wrong_agent = client.post(f"{API}/permission", json=grant_body(ids["repo"], "Repo", ids["unit"], "Unit"),
                              headers=auth(alice_token))
    assert wrong_agent.get_json()["detail"] == (
        "422: 4: Permission Validation Error: Agent type PermissionEntities.REPO is invalid, available: User, Unit")
    wrong_resource = client.post(f"{API}/permission", json=grant_body(bob["uuid"], "User", bob["uuid"], "User"),
                                 headers=auth(alice_token))
    assert wrong_resource.get_json()["detail"] == (
        "422: 4: Permission Validation Error: Resource type PermissionEntities.USER is invalid, "
        "available: Unit, Repo, UnitNode")
    ghost = client.post(f"{API}/permission", json=grant_body(str(uuid.uuid4()), "User", ids["unit"], "Unit"),
                        headers=auth(alice_token))
    assert ghost.get_json()["detail"] == "422: 2: Validation Error: The object does not exist"
    bad_enum = client.post(f"{API}/permission", json=grant_body(bob["uuid"], "Robot", ids["unit"], "Unit"),
                           headers=auth(alice_token))
    assert bad_enum.status_code == 422


def test_graphql_permissions(app, client):
    alice, alice_token, bob, bob_token, ids = setup_world(app, client)
    created = gql(client, """mutation($a: UUID!, $r: UUID!) { createPermission(permission: {agentUuid: $a,
        agentType: USER, resourceUuid: $r, resourceType: UNIT}) { agentType resourceType agentUuid } }""",
                  {"a": bob["uuid"], "r": ids["unit"]}, alice_token)
    assert created["data"]["createPermission"] == {"agentType": "USER", "resourceType": "UNIT",
                                                   "agentUuid": bob["uuid"]}
    listed = gql(client, """query($r: UUID!) { getResourceAgents(filters: {resourceUuid: $r, resourceType: UNIT,
        agentType: USER}) { count permissions { agentUuid } } }""", {"r": ids["unit"]}, alice_token)
    assert listed["data"]["getResourceAgents"]["count"] == 2
    refused = gql(client, """query($r: UUID!) { getResourceAgents(filters: {resourceUuid: $r, resourceType: UNIT})
        { count } }""", {"r": ids["unit"]}, bob_token)
    assert gql_error(refused).startswith("403: 1: No Access: AgentUser is not creator")
    deleted = gql(client, "mutation($a: UUID!, $r: UUID!) { deletePermission(agentUuid: $a, resourceUuid: $r) { isNone } }",
                  {"a": bob["uuid"], "r": ids["unit"]}, alice_token)
    assert deleted["data"]["deletePermission"] == {"isNone": True}
