"""The PepeunitGrafana cookie: set by getToken and setGrafanaCookies, removed by deleteUserCookies."""
from __future__ import annotations

import time
import uuid

import jwt

from pepeunit.extensions import db
from pepeunit.models import User
from tests.helpers import API, GRAPHQL, PASSWORD, auth

FLAG_OFF = "405: 15: Feature Flag Error: This feature has been disabled by the instance Owner"
GET_TOKEN = "query($d: UserAuthInput!) { getToken(data: $d) }"


def _login(app, users, who="owner") -> str:
    with app.app_context():
        return db.session.get(User, uuid.UUID(users[who][0])).login


def _cookie_header(response) -> str | None:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("PepeunitGrafana=")]
    assert len(found) <= 1
    return found[0] if found else None


def _attributes(header: str) -> tuple[str, set]:
    """(cookie value, its attributes lower-cased: ``httponly``, ``path=/``, ...)."""
    value, *rest = [part.strip() for part in header.split(";")]
    return value.split("=", 1)[1], {part.lower() for part in rest}


def _post(client, query, variables=None, token=None):
    return client.post(GRAPHQL, json={"query": query, "variables": variables}, headers=auth(token))


def test_get_token_sets_the_cookie(app, client, grafana, users, settings):
    issued_after = int(time.time())
    response = _post(client, GET_TOKEN, {"d": {"credentials": _login(app, users), "password": PASSWORD}})
    issued_before = int(time.time()) + 1
    assert "errors" not in response.get_json()
    header = _cookie_header(response)
    value, attributes = _attributes(header)
    assert attributes == {"httponly", "path=/", "samesite=lax"}  # no Secure over http, no Max-Age
    claims = jwt.decode(value, settings.PU_SECRET_KEY, algorithms=["HS256"])
    assert (claims["uuid"], claims["type"]) == (users["owner"][0], "Grafana")
    # exp is the issuing second plus PU_AUTH_TOKEN_EXPIRATION: between the clock read before and after the call
    assert issued_after <= claims["exp"] - settings.PU_AUTH_TOKEN_EXPIRATION <= issued_before


def test_secure_instances_mark_it_secure(app, client, grafana, users, set_settings):
    set_settings(PU_SECURE=True)
    response = _post(client, "mutation { setGrafanaCookies { isNone } }", token=users["owner"][1])
    assert response.get_json()["data"] == {"setGrafanaCookies": {"isNone": True}}
    _, attributes = _attributes(_cookie_header(response))
    assert attributes == {"httponly", "path=/", "samesite=lax", "secure"}


def test_set_grafana_cookies_needs_a_user(app, client, grafana, users):
    response = _post(client, "mutation { setGrafanaCookies { isNone } }")
    assert response.get_json()["errors"][0]["message"] == \
        "403: 1: No Access: AgentBot access not allowed, only for [<AgentType.USER: 'User'>]"
    assert _cookie_header(response) is None


def test_delete_user_cookies_removes_it(app, client, grafana):
    response = _post(client, "mutation { deleteUserCookies { isNone } }")
    assert response.get_json()["data"] == {"deleteUserCookies": {"isNone": True}}
    header = _cookie_header(response)
    assert header.startswith('PepeunitGrafana=""') or header.startswith("PepeunitGrafana=;")
    assert "Max-Age=0" in header and "Path=/" in header


def test_flag_off_no_cookie_and_the_feature_flag_error(app, client, users, set_settings):
    set_settings(PU_FF_GRAFANA_INTEGRATION_ENABLE=False)
    response = _post(client, GET_TOKEN, {"d": {"credentials": _login(app, users), "password": PASSWORD}})
    assert response.get_json()["data"]["getToken"] and _cookie_header(response) is None
    for token in (users["owner"][1], None, "not-a-jwt"):
        response = _post(client, "mutation { setGrafanaCookies { isNone } }", token=token)
        assert response.get_json()["errors"][0]["message"] == FLAG_OFF
        assert _cookie_header(response) is None


def test_rest_login_sets_no_cookie(app, client, grafana, users):
    response = client.post(f"{API}/users/auth", json={"credentials": _login(app, users), "password": PASSWORD})
    assert response.status_code == 200 and _cookie_header(response) is None
