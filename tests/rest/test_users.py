"""Users over REST: sign-up, login, profile, listing, blocking, verification links."""
import jwt
import redis

from ..helpers import API, PASSWORD, auth, login, new_user, register


def test_first_user_is_admin_later_users_are_not(client):
    first = register(client, "alice")
    second = register(client, "bob_2")
    assert first["role"] == "Admin" and second["role"] == "User"
    assert first["status"] == second["status"] == "Unverified"
    assert set(first) == {"uuid", "role", "status", "login", "grafana_org_name", "grafana_org_id", "create_datetime"}


def test_token_claims(client, settings):
    user = register(client, "alice")
    token = login(client, "alice")
    claims = jwt.decode(token, settings.PU_SECRET_KEY, algorithms=["HS256"])
    assert claims["uuid"] == user["uuid"] and claims["type"] == "User"
    assert claims["exp"] > 0


def test_password_is_not_stored_in_clear(app, client):
    from pepeunit.models import User
    register(client, "alice")
    with app.app_context():
        stored = User.query.one().hashed_password
    assert PASSWORD not in stored and stored.startswith("$argon2id$")


def test_login_errors(client):
    register(client, "alice")
    wrong = client.post(f"{API}/users/auth", json={"credentials": "alice", "password": "wrong-pass-1"})
    assert wrong.status_code == 403
    assert wrong.get_json()["detail"] == "403: 1: No Access: Password hash mismatched"
    unknown = client.post(f"{API}/users/auth", json={"credentials": "nobody", "password": PASSWORD})
    assert unknown.status_code == 422
    assert unknown.get_json()["detail"] == "422: 2: Validation Error: The object does not exist"


def test_sign_up_rules(client):
    register(client, "alice")
    cases = [
        ({"login": "ab", "password": PASSWORD}, "422: 3: User Validation Error: Login is not correct"),
        ({"login": "a" * 21, "password": PASSWORD}, "422: 3: User Validation Error: Login is not correct"),
        ({"login": "bad login", "password": PASSWORD}, "422: 3: User Validation Error: Login is not correct"),
        ({"login": "alice", "password": PASSWORD}, "422: 3: User Validation Error: Login is not unique"),
        ({"login": "carol", "password": "short"}, "422: 3: User Validation Error: Password is not correct"),
        ({"login": "carol", "password": "with space 123"}, "422: 3: User Validation Error: Password is not correct"),
        ({"login": "carol", "password": "x" * 101}, "422: 3: User Validation Error: Password is not correct"),
    ]
    for body, detail in cases:
        response = client.post(f"{API}/users", json=body)
        assert (response.status_code, response.get_json()["detail"]) == (422, detail), body
    assert client.get(f"{API}/metrics/").get_json()["user_count"] == 1


def test_sign_up_with_a_token_is_refused(client):
    _, token = new_user(client, "alice")
    response = client.post(f"{API}/users", json={"login": "bob_2", "password": PASSWORD}, headers=auth(token))
    assert response.status_code == 403
    assert response.get_json()["detail"] == (
        "403: 1: No Access: AgentUser access not allowed, only for [<AgentType.BOT: 'Bot'>]"
    )


def test_get_and_update_self(client):
    alice, token = new_user(client, "alice")
    bob, _ = new_user(client, "bob_2")
    got = client.get(f"{API}/users/{bob['uuid']}", headers=auth(token))
    assert got.status_code == 200 and got.get_json()["login"] == "bob_2"
    # The path uuid is ignored: a user only ever updates themself.
    updated = client.patch(f"{API}/users/{bob['uuid']}", json={"login": "alice_new"}, headers=auth(token))
    assert updated.status_code == 200 and updated.get_json()["uuid"] == alice["uuid"]
    assert updated.get_json()["login"] == "alice_new"
    taken = client.patch(f"{API}/users/{alice['uuid']}", json={"login": "bob_2"}, headers=auth(token))
    assert taken.get_json()["detail"] == "422: 3: User Validation Error: Login is not unique"
    client.patch(f"{API}/users/{alice['uuid']}", json={"password": "new-password-9"}, headers=auth(token))
    assert login(client, "alice_new", "new-password-9")
    anonymous = client.get(f"{API}/users/{bob['uuid']}")
    assert anonymous.status_code == 403


def test_get_unknown_user(client):
    _, token = new_user(client, "alice")
    response = client.get(f"{API}/users/00000000-0000-0000-0000-000000000000", headers=auth(token))
    assert response.status_code == 422
    assert response.get_json()["detail"] == "422: 2: Validation Error: The object does not exist"


def test_list_filters_ordering_and_pagination(client):
    _, token = new_user(client, "alice")
    for name in ("bob_2", "carol", "dave_x"):
        register(client, name)
    h = auth(token)
    everything = client.get(f"{API}/users", headers=h).get_json()
    assert everything["count"] == 4
    assert [u["login"] for u in everything["users"]] == ["dave_x", "carol", "bob_2", "alice"]
    asc = client.get(f"{API}/users?order_by_create_date=asc&limit=2&offset=1", headers=h).get_json()
    assert asc["count"] == 4 and [u["login"] for u in asc["users"]] == ["bob_2", "carol"]
    admins = client.get(f"{API}/users?role=Admin", headers=h).get_json()
    assert [u["login"] for u in admins["users"]] == ["alice"]
    assert client.get(f"{API}/users?role=Nobody", headers=h).get_json()["count"] == 0
    search = client.get(f"{API}/users?search_string=a%20r", headers=h).get_json()
    assert [u["login"] for u in search["users"]] == ["carol"]
    one = everything["users"][1]["uuid"]
    by_uuid = client.get(f"{API}/users?uuids={one}", headers=h).get_json()
    assert by_uuid["count"] == 1 and by_uuid["users"][0]["uuid"] == one


def test_pagination_bounds(client):
    _, token = new_user(client, "alice")
    for query, detail in [
        ("limit=501", "422: 2: Validation Error: limit must be <= 500"),
        ("limit=-1", "422: 2: Validation Error: limit must be >= 0"),
        ("offset=-1", "422: 2: Validation Error: offset must be >= 0"),
    ]:
        response = client.get(f"{API}/users?{query}", headers=auth(token))
        assert (response.status_code, response.get_json()["detail"]) == (422, detail)


def test_admin_blocks_and_unblocks(client):
    _, admin = new_user(client, "alice")
    bob, bob_token = new_user(client, "bob_2")
    refused = client.patch(f"{API}/users/block/{bob['uuid']}", headers=auth(bob_token))
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == (
        "403: 1: No Access: AgentUser access not allowed, only for [<UserRole.ADMIN: 'Admin'>]"
    )
    assert client.patch(f"{API}/users/block/{bob['uuid']}", headers=auth(admin)).status_code == 204
    blocked = client.get(f"{API}/users/{bob['uuid']}", headers=auth(bob_token))
    assert blocked.status_code == 403
    assert blocked.get_json()["detail"] == "403: 1: No Access: Agent is blocked or not found"
    relogin = client.post(f"{API}/users/auth", json={"credentials": "bob_2", "password": PASSWORD})
    assert relogin.status_code == 403
    assert client.patch(f"{API}/users/unblock/{bob['uuid']}", headers=auth(admin)).status_code == 204
    assert client.get(f"{API}/users/{bob['uuid']}", headers=auth(bob_token)).status_code == 200
    status = client.get(f"{API}/users/{bob['uuid']}", headers=auth(admin)).get_json()["status"]
    assert status == "Unverified"


def test_verification_link_stores_code_with_ttl(client, settings, redis_url):
    alice, token = new_user(client, "alice")
    response = client.get(f"{API}/users/generate_verification_link/", headers=auth(token))
    assert response.status_code == 200
    link = response.get_json()
    assert link.startswith(settings.PU_TELEGRAM_BOT_LINK + "?start=")
    code = link.split("?start=")[1]
    assert len(code) == 8 and code.isalnum()
    r = redis.Redis.from_url(redis_url)
    key = f"pepeunit:verification:{code}"
    assert r.get(key).decode() == alice["uuid"]
    assert 0 < r.ttl(key) <= 60
    assert client.get(f"{API}/users/generate_verification_link/").status_code == 403
