"""Logging into Grafana through Pepeunit, driven by a real OAuth 2 client (Authlib's requests
client) the way Grafana's generic OAuth does it: the browser holds the PepeunitGrafana cookie
and follows ``authorize`` to Grafana's redirect URI with a code; Grafana's server trades the
code with its client secret at ``token`` and reads ``userinfo``."""
from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from pepeunit.extensions import db, get_redis
from pepeunit.models import User, UserStatus
from pepeunit.services.grafana.oidc import CODE_KEY
from tests.helpers import PASSWORD

from .conftest import OIDC_SECRET

CLIENT_ID = "grafana-client"
SCOPE = "openid profile email"


class Flow:
    """The three parties: the browser (a cookie jar), Grafana's OAuth client, our endpoints."""

    def __init__(self, backend_url: str, grafana_url: str):
        base = f"{backend_url}/pepeunit/api/v1/grafana/oidc"
        self.backend_url = backend_url
        self.authorize_url, self.token_url, self.userinfo_url = f"{base}/authorize", f"{base}/token", f"{base}/userinfo"
        self.redirect_uri = f"{grafana_url}/login/generic_oauth"
        self.browser = requests.Session()

    def log_in(self, login: str) -> None:
        """The frontend's getToken: the answer sets the PepeunitGrafana cookie in the browser."""
        response = self.browser.post(f"{self.backend_url}/pepeunit/graphql", timeout=10, json={
            "query": "query($d: UserAuthInput!) { getToken(data: $d) }",
            "variables": {"d": {"credentials": login, "password": PASSWORD}}})
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        assert "PepeunitGrafana" in self.browser.cookies

    def grafana(self, client_id=CLIENT_ID, secret=OIDC_SECRET, redirect_uri=None, **kwargs) -> OAuth2Session:
        return OAuth2Session(client_id, secret, scope=SCOPE, redirect_uri=redirect_uri or self.redirect_uri, **kwargs)

    def authorize(self, client: OAuth2Session, **kwargs):
        """(authorization URL's answer to the browser, the redirect Location or None)."""
        uri, self.state = client.create_authorization_url(self.authorize_url, **kwargs)
        response = self.browser.get(uri, allow_redirects=False, timeout=10)
        return response, response.headers.get("Location")


@pytest.fixture
def flow(app, grafana, backend_url, users) -> Flow:
    return Flow(backend_url, grafana.url)


def _login_of(app, uuid_text) -> User:
    with app.app_context():
        row = db.session.get(User, uuid.UUID(uuid_text))
        db.session.expunge(row)
        return row


def test_grafana_logs_the_user_in(app, flow, grafana, users):
    owner = _login_of(app, users["owner"][0])
    flow.log_in(owner.login)
    client = flow.grafana()
    response, location = flow.authorize(client)
    assert response.status_code == 302, response.text
    assert location.startswith(flow.redirect_uri + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [flow.state]
    token = client.fetch_token(flow.token_url, authorization_response=location)
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert token["token_type"] == "Bearer" and token["access_token"] != code
    assert token["expires_in"] == 3600 and set(token["scope"].split()) == {"openid", "profile", "email"}
    claims = client.get(flow.userinfo_url, timeout=10).json()
    owner = _login_of(app, users["owner"][0])  # authorize set the org up
    assert claims == {"sub": str(owner.uuid), "name": owner.login, "email": owner.login, "role": "Editor",
                      "organization": str(owner.grafana_org_name)}
    org = grafana.org_named(str(owner.grafana_org_name))
    assert org is not None and org.members[owner.login] == "Editor" and owner.grafana_org_id == str(org.id)
    assert grafana.problems == []


def test_a_code_works_once(app, flow, users):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    client = flow.grafana()
    _, location = flow.authorize(client)
    client.fetch_token(flow.token_url, authorization_response=location)
    with pytest.raises(OAuthError) as refused:
        flow.grafana().fetch_token(flow.token_url, authorization_response=location)
    assert refused.value.error == "invalid_grant"


def test_a_code_expires_after_60_seconds(app, flow, users):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    client = flow.grafana()
    _, location = flow.authorize(client)
    code = parse_qs(urlsplit(location).query)["code"][0]
    with app.app_context():
        redis = get_redis(app)
        key = CODE_KEY.format(code)
        assert 0 < redis.ttl(key) <= 60
        stored = json.loads(redis.get(key))
        stored["auth_time"] = time.time() - 61  # issued 61 s ago (Redis would have dropped it by now too)
        redis.set(key, json.dumps(stored), ex=60)
    with pytest.raises(OAuthError) as refused:
        client.fetch_token(flow.token_url, authorization_response=location)
    assert refused.value.error == "invalid_grant"


def test_only_grafana_with_its_secret_gets_a_code_or_a_token(app, flow, users):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    response, location = flow.authorize(flow.grafana(client_id="other-client"))
    assert (response.status_code, location) == (400, None)
    assert response.json()["error"] == "invalid_client"
    _, location = flow.authorize(flow.grafana())
    for client_id, secret in (("grafana-client", "wrong-secret"), ("other-client", OIDC_SECRET)):
        with pytest.raises(OAuthError) as refused:
            flow.grafana(client_id=client_id, secret=secret).fetch_token(flow.token_url,
                                                                         authorization_response=location)
        assert refused.value.error == "invalid_client"


def test_only_grafana_s_redirect_uri(app, flow, users):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    response, location = flow.authorize(flow.grafana(redirect_uri="https://evil.example/login/generic_oauth"))
    assert (response.status_code, location) == (400, None)
    assert response.json()["error"] == "invalid_request"
    _, location = flow.authorize(flow.grafana())
    with pytest.raises(OAuthError) as refused:  # a code is bound to the redirect URI it was issued for
        flow.grafana(redirect_uri=flow.redirect_uri + "/other").fetch_token(flow.token_url,
                                                                             authorization_response=location)
    assert refused.value.error == "invalid_grant"


def test_pkce_is_honoured(app, flow, users):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    for verifier_sent, works in (("right", True), ("wrong", False), (None, False)):
        verifier = generate_token(48)
        client = flow.grafana(code_challenge_method="S256")
        _, location = flow.authorize(client, code_verifier=verifier)
        sent = {"right": verifier, "wrong": generate_token(48), None: None}[verifier_sent]
        extra = {"code_verifier": sent} if sent else {}
        if works:
            assert client.fetch_token(flow.token_url, authorization_response=location, **extra)["access_token"]
        else:
            with pytest.raises(OAuthError) as refused:
                client.fetch_token(flow.token_url, authorization_response=location, **extra)
            assert refused.value.error in ("invalid_grant", "invalid_request"), verifier_sent


def test_without_the_cookie_there_is_no_code(app, flow):
    response, location = flow.authorize(flow.grafana())
    assert (response.status_code, location) == (403, None)
    assert response.json()["detail"].startswith("403: 1: No Access: ")


def test_a_blocked_user_is_refused_at_every_step(app, flow, users):
    owner = _login_of(app, users["owner"][0])
    flow.log_in(owner.login)
    client = flow.grafana()
    _, location = flow.authorize(client)
    client.fetch_token(flow.token_url, authorization_response=location)
    with app.app_context():
        db.session.get(User, owner.uuid).status = UserStatus.BLOCKED
        db.session.commit()
    answer = client.get(flow.userinfo_url, timeout=10)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    response, location = flow.authorize(flow.grafana())
    assert (response.status_code, location) == (403, None)


def test_userinfo_needs_the_access_token(app, flow, users):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    _, location = flow.authorize(flow.grafana())
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert requests.get(flow.userinfo_url, timeout=10).status_code == 401
    as_code = requests.get(flow.userinfo_url, headers={"Authorization": f"Bearer {code}"}, timeout=10)
    assert as_code.status_code == 401 and as_code.json()["error"] == "invalid_token"


def test_flag_off_refuses_the_login(app, flow, users, set_settings):
    flow.log_in(_login_of(app, users["owner"][0]).login)
    set_settings(PU_FF_GRAFANA_INTEGRATION_ENABLE=False)
    response, location = flow.authorize(flow.grafana())
    assert (response.status_code, location) == (405, None)
    assert response.json()["detail"].startswith("405: 15: Feature Flag Error")
