"""The login works whichever gunicorn worker answers each step: codes and tokens live in Redis."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers import PASSWORD, make_test_environ
from tests.processes import Gunicorn

from .conftest import OIDC_SECRET
from .grafana_standin import ADMIN_PASSWORD, ADMIN_USER

ROUNDS = 6


def test_each_step_may_land_on_another_worker(app, database_url, redis_url, grafana_standin):
    grafana_standin.reset()
    env = make_test_environ(database_url, redis_url, PU_FF_GRAFANA_INTEGRATION_ENABLE="true",
                            PU_GRAFANA_URL=grafana_standin.url, PU_GRAFANA_ADMIN_USER=ADMIN_USER,
                            PU_GRAFANA_ADMIN_PASSWORD=ADMIN_PASSWORD, PU_GRAFANA_OIDC_CLIENT_SECRET=OIDC_SECRET,
                            PU_LEADER_LEASE_SECONDS=2)
    with Gunicorn(env, workers=3, log_level="WARNING") as server:
        base = f"{server.url}/pepeunit/api/v1"
        close = {"Connection": "close"}  # a new connection per step: any worker may take it
        assert requests.post(f"{base}/users", json={"login": "workers1", "password": PASSWORD}, headers=close,
                             timeout=20).status_code == 201
        browser = requests.Session()
        answer = browser.post(f"{server.url}/pepeunit/graphql", headers=close, timeout=10, json={
            "query": "query($d: UserAuthInput!) { getToken(data: $d) }",
            "variables": {"d": {"credentials": "workers1", "password": PASSWORD}}})
        assert "errors" not in answer.json() and "PepeunitGrafana" in browser.cookies
        subjects = set()
        for _ in range(ROUNDS):
            client = OAuth2Session("grafana-client", OIDC_SECRET, scope="openid profile email",
                                   redirect_uri=f"{grafana_standin.url}/login/generic_oauth")
            client.headers.update(close)
            uri, _ = client.create_authorization_url(f"{base}/grafana/oidc/authorize")
            location = browser.get(uri, allow_redirects=False, headers=close, timeout=10).headers["Location"]
            assert "code" in parse_qs(urlsplit(location).query)
            client.fetch_token(f"{base}/grafana/oidc/token", authorization_response=location)
            claims = client.get(f"{base}/grafana/oidc/userinfo", timeout=10).json()
            subjects.add((claims["name"], claims["role"]))
        assert subjects == {("workers1", "Editor")}
        assert len(server.worker_pids()) == 3
    assert grafana_standin.problems == []
