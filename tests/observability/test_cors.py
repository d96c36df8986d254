"""PU_CORS_ORIGINS: a browser's preflight and actual request, from a listed and from a foreign origin,
on REST and GraphQL; no CORS header at all when the setting is empty."""
from __future__ import annotations

import pytest

from pepeunit.config import ConfigError, Settings

from ..helpers import API, GRAPHQL, PASSWORD, make_test_environ, register
from .conftest import ALLOWED_ORIGINS

ALLOWED, FOREIGN = ALLOWED_ORIGINS[1], "https://evil.example.net"


def preflight(client, path: str, origin: str):
    return client.options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-auth-token"})


@pytest.mark.parametrize("path", [f"{API}/users/auth", GRAPHQL])
def test_a_listed_origin_gets_a_full_preflight_answer(cors_client, path):
    answer = preflight(cors_client, path, ALLOWED)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED  # the origin itself, never "*"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"].split(", ")
    assert set(answer.headers["Access-Control-Allow-Headers"].split(", ")) == {"content-type", "x-auth-token"}
    assert int(answer.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in answer.headers["Vary"]


@pytest.mark.parametrize("path", [f"{API}/users/auth", GRAPHQL])
def test_a_foreign_origin_gets_no_allow_headers(cors_client, path):
    answer = preflight(cors_client, path, FOREIGN)
    assert not [name for name in answer.headers.keys() if name.lower().startswith("access-control-")]


def test_the_actual_requests_after_the_preflight(cors_client):
    register(cors_client, "cors-user")
    login = {"credentials": "cors-user", "password": PASSWORD}
    ok = cors_client.post(f"{API}/users/auth", json=login, headers={"Origin": ALLOWED})
    assert ok.status_code == 200 and ok.get_json()["token"]
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert ok.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Request-ID" in ok.headers["Access-Control-Expose-Headers"]  # the frontend may read it
    token = ok.get_json()["token"]
    me = cors_client.post(GRAPHQL, json={"query": "{ getUsers(filters: {}) { count } }"},
                          headers={"Origin": ALLOWED, "x-auth-token": token})
    assert me.status_code == 200 and me.get_json() == {"data": {"getUsers": {"count": 1}}}
    assert me.headers["Access-Control-Allow-Origin"] == ALLOWED
    # A foreign page's request is still served (CORS is the browser's rule), but without the
    # headers that would let the browser hand the answer to that page.
    foreign = cors_client.post(f"{API}/users/auth", json=login, headers={"Origin": FOREIGN})
    assert foreign.status_code == 200
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_empty_setting_adds_no_cors_header(client, settings):
    assert settings.PU_CORS_ORIGINS == ()
    for answer in (preflight(client, f"{API}/users/auth", ALLOWED),
                   client.get("/pepeunit", headers={"Origin": ALLOWED}),
                   client.post(GRAPHQL, json={"query": "{ __typename }"}, headers={"Origin": ALLOWED})):
        assert not [name for name in answer.headers.keys() if name.lower().startswith("access-control-")]


@pytest.mark.parametrize("raw", ["*", "app.example.com", "https://app.example.com/", "https://a.example.com/path",
                                 "ftp://a.example.com"])
def test_a_bad_origin_stops_the_start_naming_the_variable(raw):
    environ = make_test_environ("postgresql://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/1",
                                PU_CORS_ORIGINS=f"https://ok.example.com,{raw}")
    with pytest.raises(ConfigError, match="^PU_CORS_ORIGINS="):
        Settings.from_env(environ)


def test_origins_are_split_on_commas():
    environ = make_test_environ("postgresql://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/1",
                                PU_CORS_ORIGINS=" https://a.example.com , http://[::1]:8080,http://localhost:3000 ")
    assert Settings.from_env(environ).PU_CORS_ORIGINS == (
        "https://a.example.com", "http://[::1]:8080", "http://localhost:3000")
