"""Users over GraphQL, with v1.2 names, enums and error strings."""
from ..helpers import gql, gql_error, new_user, register

CREATE = "mutation($l: String!, $p: String!) { createUser(user: {login: $l, password: $p}) { uuid role status login grafanaOrgName grafanaOrgId createDatetime } }"
TOKEN = "query($c: String!, $p: String!) { getToken(data: {credentials: $c, password: $p}) }"


def test_create_login_read_update(client):
    created = gql(client, CREATE, {"l": "alice", "p": "password-123"})["data"]["createUser"]
    assert created["role"] == "ADMIN" and created["status"] == "UNVERIFIED"
    second = gql(client, CREATE, {"l": "bob_2", "p": "password-123"})["data"]["createUser"]
    assert second["role"] == "USER"
    token = gql(client, TOKEN, {"c": "alice", "p": "password-123"})["data"]["getToken"]
    me = gql(client, "query($u: UUID!) { getUser(uuid: $u) { login role } }", {"u": created["uuid"]}, token)
    assert me["data"]["getUser"] == {"login": "alice", "role": "ADMIN"}
    updated = gql(client, 'mutation { updateUser(user: {login: "alice_2"}) { login } }', token=token)
    assert updated["data"]["updateUser"]["login"] == "alice_2"


def test_errors_carry_status_and_code(client):
    register(client, "alice")
    body = gql(client, TOKEN, {"c": "alice", "p": "wrong-pass-1"})
    assert gql_error(body) == "403: 1: No Access: Password hash mismatched"
    assert body["data"] is None
    bad = gql(client, CREATE, {"l": "x", "p": "password-123"})
    assert gql_error(bad) == "422: 3: User Validation Error: Login is not correct"
    invalid = gql(client, "{ getUsers(filters: {}) { count } }", token="not-a-jwt")
    assert gql_error(invalid) == "403: 1: No Access: Token is invalid"


def test_get_users_filters_and_defaults(client):
    _, token = new_user(client, "alice")
    register(client, "bob_2")
    q = "query($f: UserFilterInput!) { getUsers(filters: $f) { count users { login role status } } }"
    assert gql(client, q, {"f": {}}, token)["data"]["getUsers"]["count"] == 2
    admins = gql(client, q, {"f": {"role": ["ADMIN"]}}, token)["data"]["getUsers"]
    assert [u["login"] for u in admins["users"]] == ["alice"]
    # An explicit empty or null enum list matches nothing (v1.2 semantics).
    assert gql(client, q, {"f": {"role": []}}, token)["data"]["getUsers"]["count"] == 0
    assert gql(client, q, {"f": {"status": None}}, token)["data"]["getUsers"]["count"] == 0
    asc = gql(client, q, {"f": {"orderByCreateDate": "asc", "limit": 1}}, token)["data"]["getUsers"]
    assert asc["count"] == 2 and asc["users"][0]["login"] == "alice"
    too_many = gql(client, q, {"f": {"limit": 501}}, token)
    assert gql_error(too_many) == "422: 2: Validation Error: limit must be <= 500"


def test_block_unblock_and_void_result(client):
    _, admin = new_user(client, "alice")
    bob, bob_token = new_user(client, "bob_2")
    blocked = gql(client, "mutation($u: UUID!) { blockUser(uuid: $u) { isNone } }", {"u": bob["uuid"]}, admin)
    assert blocked["data"]["blockUser"] == {"isNone": True}
    refused = gql(client, "{ getUsers(filters: {}) { count } }", token=bob_token)
    assert gql_error(refused) == "403: 1: No Access: Agent is blocked or not found"
    gql(client, "mutation($u: UUID!) { unblockUser(uuid: $u) { isNone } }", {"u": bob["uuid"]}, admin)
    assert gql(client, "{ getUsers(filters: {}) { count } }", token=bob_token)["data"]["getUsers"]["count"] == 2


def test_verification_link(client, settings):
    _, token = new_user(client, "alice")
    link = gql(client, "{ getVerificationUser }", token=token)["data"]["getVerificationUser"]
    assert link.startswith(settings.PU_TELEGRAM_BOT_LINK + "?start=")


def test_schema_names_match_v12(client):
    body = gql(client, """{ __schema { types { name kind enumValues { name } } } }""")
    types = {t["name"]: t for t in body["data"]["__schema"]["types"]}
    for name in ("UserType", "UsersResultType", "UserFilterInput", "UserCreateInput", "UserUpdateInput",
                 "UserAuthInput", "NoneType", "BaseMetricsType", "UUID", "DateTime"):
        assert name in types, name
    assert [v["name"] for v in types["UserRole"]["enumValues"]] == ["USER", "ADMIN"]
    assert [v["name"] for v in types["UserStatus"]["enumValues"]] == ["UNVERIFIED", "VERIFIED", "BLOCKED"]
    assert [v["name"] for v in types["OrderByDate"]["enumValues"]] == ["asc", "desc"]
    fields = gql(client, '{ __type(name: "UserFilterInput") { inputFields { name defaultValue } } }')
    defaults = {f["name"]: f["defaultValue"] for f in fields["data"]["__type"]["inputFields"]}
    assert defaults["role"] == "[USER, ADMIN]"
    assert defaults["status"] == "[UNVERIFIED, VERIFIED, BLOCKED]"
    assert defaults["orderByCreateDate"] == "desc"
    assert defaults["uuids"] == "[]"
