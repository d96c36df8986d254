"""Bad input gets a clear 4xx and changes nothing; never a 500."""
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import jwt
import pytest

from pepeunit.graphql import limits
from pepeunit.graphql import view as graphql_view
from pepeunit.mqtt.handlers import state as state_handler
from pepeunit.mqtt.messages import Rejected
from pepeunit.mqtt.state_gate import LocalGate
from pepeunit.services.report_batches import ReportBatch

from .helpers import API, GRAPHQL, auth, gql, gql_error, new_user
from .mqtt_listener import Listener


@pytest.mark.parametrize(
    "body,content_type",
    [
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('{"login": 5, "password": true}', "application/json"),
        ('{"login": "alice"}', "application/json"),
        ('{"login": null, "password": null}', "application/json"),
        ("login=alice", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
)
def test_malformed_sign_up_bodies(client, body, content_type):
    response = client.post(f"{API}/users", data=body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.data
    assert "detail" in response.get_json()
    assert client.get(f"{API}/metrics/").get_json()["user_count"] == 0


def test_over_long_strings(client):
    response = client.post(f"{API}/users", json={"login": "a" * 100000, "password": "b" * 100000})
    assert response.status_code == 422
    huge = client.post(f"{API}/users", data="x" * (9 * 1024 * 1024), content_type="application/json")
    assert huge.status_code == 413


def test_wrong_types_in_query_and_path(client):
    _, token = new_user(client, "alice")
    h = auth(token)
    assert client.get(f"{API}/users?limit=abc", headers=h).status_code == 422
    assert client.get(f"{API}/users?order_by_create_date=sideways", headers=h).status_code == 422
    assert client.get(f"{API}/users?uuids=not-a-uuid", headers=h).status_code == 422
    assert client.get(f"{API}/users/not-a-uuid", headers=h).status_code == 404


def test_unknown_enum_value_in_graphql(client):
    _, token = new_user(client, "alice")
    body = gql(client, "{ getUsers(filters: {role: [GOD]}) { count } }", token=token)
    assert "GOD" in gql_error(body)


@pytest.mark.parametrize("kind", ["garbage", "expired", "forged", "unknown_user", "no_type"])
def test_bad_tokens_get_403(client, settings, kind):
    user, _ = new_user(client, "alice")
    now = datetime.now(timezone.utc)
    tokens = {
        "garbage": "abc.def.ghi",
        "expired": jwt.encode({"uuid": user["uuid"], "type": "User", "exp": now - timedelta(seconds=5)},
                              settings.PU_SECRET_KEY, "HS256"),
        "forged": jwt.encode({"uuid": user["uuid"], "type": "User", "exp": now + timedelta(hours=1)},
                             "another-secret-another-secret-000", "HS256"),
        "unknown_user": jwt.encode({"uuid": "00000000-0000-0000-0000-000000000001", "type": "User",
                                    "exp": now + timedelta(hours=1)}, settings.PU_SECRET_KEY, "HS256"),
        "no_type": jwt.encode({"uuid": user["uuid"]}, settings.PU_SECRET_KEY, "HS256"),
    }
    expected = {
        "garbage": "Token is invalid", "expired": "Token expired", "forged": "Token is invalid",
        "unknown_user": "User not found", "no_type": "Invalid agent type",
    }[kind]
    response = client.get(f"{API}/users", headers=auth(tokens[kind]))
    assert response.status_code == 403
    assert response.get_json()["detail"] == f"403: 1: No Access: {expected}"
    assert gql_error(gql(client, "{ getBaseMetrics { userCount } }", token=tokens[kind])).endswith(expected)


def test_graphql_transport_errors(client):
    assert client.post(GRAPHQL, data="nope", content_type="application/json").status_code == 400
    assert client.post(GRAPHQL, json={"query": ""}).status_code == 400
    assert client.post(GRAPHQL, json={"query": "{ x }", "variables": [1]}).status_code == 400
    syntax = client.post(GRAPHQL, json={"query": "{ getUsers("}).get_json()
    assert "Syntax Error" in syntax["errors"][0]["message"]
    unknown = client.post(GRAPHQL, json={"query": "{ nope }"}).get_json()
    assert "Cannot query field 'nope'" in unknown["errors"][0]["message"]


def test_unknown_route_and_method(client):
    assert client.get(f"{API}/nothing-here").status_code == 404
    assert client.delete(f"{API}/users").status_code == 405


def test_huge_graphql_query_is_refused_by_size_before_parsing_and_never_cached(client):
    before = graphql_view._accepted_document.cache_info().currsize
    query = "{ " + " ".join(f"f{i}: getBaseMetrics {{ userCount }}" for i in range(200_000)) + " }"
    assert len(query) > 7_000_000
    response = client.post(GRAPHQL, json={"query": query})
    assert response.status_code == 200
    message = response.get_json()["errors"][0]["message"]
    assert message == f"Query is too large: {len(query)} characters, the limit is {limits.MAX_QUERY_LENGTH}."
    # refused documents of any kind (syntax, depth, validation) are not cached either
    for refused in ["{ getUsers(", "{ nope }", "{ " + "a { " * 12 + "b" + " }" * 13]:
        assert client.post(GRAPHQL, json={"query": refused}).get_json()["errors"]
    assert graphql_view._accepted_document.cache_info().currsize == before


@pytest.mark.parametrize("state", ['{"millis": %s}' % ("9" * 400), '{"statvfs": [1, -%s]}' % ("9" * 400)])
def test_state_with_a_number_beyond_a_double_is_rejected_not_a_traceback(state):
    # Rejected is what the consumer logs at INFO and drops; anything else is an ERROR traceback
    gate = LocalGate(SimpleNamespace(PU_STATE_SEND_INTERVAL=60))
    context = SimpleNamespace(state_gate=gate, settings=SimpleNamespace(PU_STATE_SEND_INTERVAL=60))
    batch = ReportBatch()
    with pytest.raises(Rejected, match="Data Hardware state is invalid: a number is out of range"):
        state_handler.handle(context, batch, SimpleNamespace(unit_uuid="u"), state, datetime.now())
    assert not batch.states and not gate.seen


HUGE_INT = "9" * 5000
DEEP = "[" * 100_000 + "]" * 100_000
TOO_LONG_INT = "422: 9: JSON Decode Error: JSON body has an integer literal longer than 4300 digits"
TOO_DEEP = "422: 9: JSON Decode Error: JSON body is nested too deeply"


def _nul(name: str) -> str:
    return f"422: 2: Validation Error: {name} must not contain the NUL character (\\u0000)"


@pytest.mark.parametrize("body,expected", [
    ('{"login": %s, "password": "x"}' % HUGE_INT, TOO_LONG_INT),
    ('{"login": %s, "password": "x"}' % DEEP, TOO_DEEP),
    ('{"login": "al\\u0000ice", "password": "password-123"}', _nul("login")),
])
@pytest.mark.parametrize("path", ["/users", "/users/auth"])
def test_json_bodies_that_json_or_postgresql_refuse_answer_422_without_a_token(client, path, body, expected):
    if path == "/users/auth":
        body = body.replace('"login"', '"credentials"')
        expected = expected.replace("login", "credentials")
    response = client.post(f"{API}{path}", data=body, content_type="application/json")
    assert response.status_code == 422, response.data
    assert response.get_json()["detail"] == expected
    assert client.get(f"{API}/metrics/").get_json()["user_count"] == 0


def test_graphql_bodies_that_json_refuses_answer_422(client):
    for body, expected in [
        ('{"query": "{ getBaseMetrics { userCount } }", "variables": {"x": %s}}' % HUGE_INT, TOO_LONG_INT),
        ('{"query": "{ getBaseMetrics { userCount } }", "variables": {"x": %s}}' % DEEP, TOO_DEEP),
    ]:
        response = client.post(GRAPHQL, data=body, content_type="application/json")
        assert response.status_code == 422, response.data
        assert response.get_json()["errors"][0]["message"] == expected
    deep_get = client.get(GRAPHQL, query_string={"query": "{ getBaseMetrics { userCount } }", "variables": DEEP})
    assert deep_get.status_code == 422
    assert deep_get.get_json()["errors"][0]["message"] == TOO_DEEP.replace("JSON body", "Variables")


def test_nul_in_search_strings_and_names_is_refused_everywhere(client):
    _, token = new_user(client, "alice")
    h = auth(token)
    response = client.get(f"{API}/users", query_string={"search_string": "al\x00"}, headers=h)
    assert response.status_code == 422 and response.get_json()["detail"] == _nul("search_string")
    variables = gql(client, "query($s: String) { getUsers(filters: {searchString: $s}) { count } }",
                    {"s": "al\x00"}, token)
    assert gql_error(variables) == _nul("variables.s")
    literal = gql(client, '{ getUsers(filters: {searchString: "al\\u0000"}) { count } }', token=token)
    assert gql_error(literal) == _nul("string literals")
    login = gql(client, 'mutation { getToken(credentials: "al\\u0000ice", password: "x") }')
    assert gql_error(login) == _nul("string literals")


def test_offset_beyond_bigint_is_refused(client):
    _, token = new_user(client, "alice")
    response = client.get(f"{API}/users", query_string={"offset": 2**63}, headers=auth(token))
    assert response.status_code == 422
    assert response.get_json()["detail"] == f"422: 2: Validation Error: offset must be <= {2**63 - 1}"
    assert client.get(f"{API}/users", query_string={"offset": 2**63 - 1}, headers=auth(token)).get_json()["count"] == 1


def _input_node(world, unit_uuid) -> str:
    nodes = world.client.get(f"{API}/unit_nodes", query_string={"unit_uuid": unit_uuid}).get_json()["unit_nodes"]
    return next(n["uuid"] for n in nodes if n["topic_name"] == "input/pepeunit")


def test_unit_fields_with_nul_or_out_of_range_change_nothing_and_publish_nothing(unit_world):
    unit = unit_world.create_unit("unit-one")
    in_uuid = _input_node(unit_world, unit["uuid"])
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    h = auth(token)
    before = client.get(f"{API}/unit_nodes/{in_uuid}", headers=h).get_json()
    stored = client.patch(f"{API}/units/env/{unit['uuid']}", json={"env_json_string": "{}"}, headers=h)
    assert stored.status_code == 204, stored.data  # stored: generated keys no longer change per read
    env_before = client.get(f"{API}/units/env/{unit['uuid']}", headers=h).get_json()
    with Listener(f"{domain}/{in_uuid}/#") as listener:
        rest = client.patch(f"{API}/unit_nodes/set_state_input/{in_uuid}", json={"state": "4\x002"}, headers=h)
        assert rest.status_code == 422 and rest.get_json()["detail"] == _nul("state")
        mutation = "mutation($u: UUID!, $s: String) { setStateUnitNodeInput(uuid: $u, unitNode: {state: $s}) { state } }"
        assert gql_error(gql(client, mutation, {"u": in_uuid, "s": "4\x002"}, token)) == _nul("variables.s")
        literal = ('mutation($u: UUID!) { setStateUnitNodeInput(uuid: $u, unitNode: {state: "4\\u00002"}) '
                   '{ state } }')
        assert gql_error(gql(client, literal, {"u": in_uuid}, token)) == _nul("string literals")
        assert listener.settle(0.5) == []
    renamed = client.patch(f"{API}/units/{unit['uuid']}", json={"name": "evil\x00name"}, headers=h)
    assert renamed.status_code == 422 and renamed.get_json()["detail"] == _nul("name")
    created = client.post(f"{API}/units", json={"repo_uuid": unit["repo_uuid"], "name": "x\x00",
                                                "visibility_level": "Public"}, headers=h)
    assert created.status_code == 422 and created.get_json()["detail"] == _nul("name")
    too_many = client.patch(f"{API}/unit_nodes/{in_uuid}", json={"max_connections": 2**31}, headers=h)
    assert too_many.status_code == 422
    assert too_many.get_json()["detail"] == f"422: 8: UnitNode Validation Error: max_connections must be at most {2**31 - 1}"
    deep_env = {"env_json_string": "{\"a\": " * 50_000 + "1" + "}" * 50_000}
    env = client.patch(f"{API}/units/env/{unit['uuid']}", json=deep_env, headers=h)
    assert env.status_code == 422 and env.get_json()["detail"] == "422: 9: JSON Decode Error: Data env.json is invalid"
    env_gql = gql(client, "mutation($u: UUID!, $e: String!) { updateUnitEnv(uuid: $u, envJsonStr: $e) { isNone } }",
                  {"u": unit["uuid"], "e": deep_env["env_json_string"]}, token)
    assert gql_error(env_gql) == "422: 9: JSON Decode Error: Data env.json is invalid"
    nul_env = client.patch(f"{API}/units/env/{unit['uuid']}", json={"env_json_string": '{"K": "a\\u0000"}'},
                           headers=h)
    assert nul_env.status_code == 422 and nul_env.get_json()["detail"] == _nul("env_json_string.K")
    assert client.get(f"{API}/unit_nodes/{in_uuid}", headers=h).get_json() == before
    assert client.get(f"{API}/units/env/{unit['uuid']}", headers=h).get_json() == env_before
    assert client.get(f"{API}/units/{unit['uuid']}", headers=h).get_json()["name"] == "unit-one"


@pytest.mark.parametrize("body", ['{"x": %s}' % HUGE_INT, DEEP, '{"x": "a\\u0000"}'])
def test_no_rest_body_endpoint_answers_500_to_what_json_or_postgresql_refuse(app, client, body):
    _, token = new_user(client, "alice")
    refused = 0
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PATCH", "PUT"}
        if not rule.rule.startswith(API) or not methods or rule.rule.endswith("/units/auth"):
            continue  # the broker's hook answers deny for any bad body (tests/rest/test_mqtt_auth.py)
        path = re.sub(r"<(\w+:)?(\w+)>", "00000000-0000-0000-0000-000000000001", rule.rule)
        for method in methods:
            response = client.open(path, method=method, data=body, content_type="application/json", headers=auth(token))
            assert response.status_code < 500, (method, path, response.data)  # bodiless actions ignore it
            refused += response.status_code == 422
    assert refused >= 11


def test_broker_hook_denies_bodies_that_json_refuses(client):
    for body in ["[" * 30_000 + "]" * 30_000, '{"token": %s, "topic": "t"}' % HUGE_INT]:
        response = client.post(f"{API}/units/auth", data=body, content_type="application/json")
        assert response.status_code == 200 and response.get_json() == {"result": "deny"}
