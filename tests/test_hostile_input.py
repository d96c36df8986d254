"""Bad input gets a clear 4xx and changes nothing; never a 500."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import jwt
import pytest

from pepeunit.graphql import limits
from pepeunit.graphql import view as graphql_view
from pepeunit.mqtt.handlers import state as state_handler
from pepeunit.mqtt.messages import Rejected
from pepeunit.services.report_batches import ReportBatch

from .helpers import API, GRAPHQL, auth, gql, gql_error, new_user


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
    context = SimpleNamespace(state_seen={}, settings=SimpleNamespace(PU_STATE_SEND_INTERVAL=60))
    batch = ReportBatch()
    with pytest.raises(Rejected, match="Data Hardware state is invalid: a number is out of range"):
        state_handler.handle(context, batch, SimpleNamespace(unit_uuid="u"), state, datetime.now())
    assert not batch.states and not context.state_seen
