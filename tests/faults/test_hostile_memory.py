"""Issue 12 items 8-9 against a real gunicorn worker: every hostile request is refused, and the
worker's memory comes back to its baseline (a 7 MB GraphQL query once grew a worker to 1.1 GB).

The bodies are ``tests/test_hostile_input.py``'s (huge integer literal, deep nesting, NUL); here they
go over HTTP to one gunicorn worker, whose RSS (VmRSS) is read after a warm-up round (the baseline)
and again after ``ROUNDS`` more rounds of the whole list.
"""
from __future__ import annotations

import json
import uuid

import requests

from tests.helpers import API, PASSWORD, make_test_environ
from tests.processes import Gunicorn
from tests.test_hostile_input import DEEP, HUGE_INT, TOO_DEEP, TOO_LONG_INT, _nul

ROUNDS = 3
RSS_MARGIN_MB = 30  # allocator slack a refused request may leave behind, not a leak
GRAPHQL_PATH = "/pepeunit/graphql"
BIG_QUERY = "{ " + " ".join(f"f{i}: getBaseMetrics {{ userCount }}" for i in range(200_000)) + " }"  # > 7 MB
NOWHERE = "00000000-0000-0000-0000-000000000001"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def hostile_requests(token: str) -> list[tuple[str, str, str, dict, str | None]]:
    """(name, method, path, requests kwargs, expected message or None)."""
    h = {"x-auth-token": token}
    raw = {"Content-Type": "application/json"}
    return [
        ("huge integer, sign-up", "post", API + "/users",
         {"data": '{"login": %s, "password": "x"}' % HUGE_INT, "headers": raw}, TOO_LONG_INT),
        ("deep nesting, login", "post", API + "/users/auth",
         {"data": '{"credentials": %s, "password": "x"}' % DEEP, "headers": raw},
         TOO_DEEP.replace("login", "credentials")),
        ("NUL, login", "post", API + "/users/auth",
         {"data": '{"credentials": "al\\u0000ice", "password": "password-123"}', "headers": raw},
         _nul("credentials")),
        ("NUL, search_string", "get", API + "/users", {"params": {"search_string": "al\x00"}, "headers": h},
         _nul("search_string")),
        ("offset beyond bigint", "get", API + "/users", {"params": {"offset": 2**63}, "headers": h},
         f"422: 2: Validation Error: offset must be <= {2**63 - 1}"),
        ("huge integer, unit env", "patch", f"{API}/units/env/{NOWHERE}",
         {"data": '{"env_json_string": %s}' % HUGE_INT, "headers": {**raw, **h}}, TOO_LONG_INT),
        ("deep env_json_string", "patch", f"{API}/units/env/{NOWHERE}",
         {"json": {"env_json_string": '{"a": ' * 50_000 + "1" + "}" * 50_000}, "headers": h}, None),
        ("max_connections beyond integer", "patch", f"{API}/unit_nodes/{NOWHERE}",
         {"json": {"max_connections": 2**31}, "headers": h}, None),
        ("GraphQL huge integer variable", "post", GRAPHQL_PATH,
         {"data": '{"query": "{ getBaseMetrics { userCount } }", "variables": {"x": %s}}' % HUGE_INT,
          "headers": raw}, TOO_LONG_INT),
        ("GraphQL deep variables", "post", GRAPHQL_PATH,
         {"data": '{"query": "{ getBaseMetrics { userCount } }", "variables": {"x": %s}}' % DEEP,
          "headers": raw}, TOO_DEEP),
        ("GraphQL 7 MB query", "post", GRAPHQL_PATH, {"json": {"query": BIG_QUERY}},
         f"Query is too large: {len(BIG_QUERY)} characters"),
        ("GraphQL NUL literal", "post", GRAPHQL_PATH,
         {"json": {"query": '{ getUsers(filters: {searchString: "al\\u0000"}) { count } }'}, "headers": h},
         _nul("string literals")),
        ("9 MB body", "post", API + "/users", {"data": "x" * (9 * 1024 * 1024), "headers": raw}, None),
    ]


def _refused(name: str, response: requests.Response, expected: str | None) -> None:
    """REST: a 4xx with the expected detail. GraphQL answers its errors as HTTP 200 with ``errors``
    and no data (its transport errors, like bad JSON, are 4xx): either counts as refused."""
    assert response.status_code < 500, (name, response.status_code, response.text[:300])
    body = response.json()
    if response.status_code == 200:
        assert body.get("errors") and not body.get("data"), (name, response.text[:300])
        message = body["errors"][0]["message"]
    else:
        assert 400 <= response.status_code < 500, (name, response.status_code)
        message = body.get("detail") or body["errors"][0]["message"]
    if expected is not None:
        assert message.startswith(expected), (name, message)


def test_hostile_requests_are_refused_and_the_worker_memory_returns_to_baseline(app, database_url, redis_url):
    env = make_test_environ(database_url, redis_url, PU_FF_TELEGRAM_BOT_ENABLE="false")
    with Gunicorn(env, workers=1, threads=1) as server:
        (pid,) = server.worker_pids()
        login = f"hostile-{uuid.uuid4().hex[:6]}"
        assert requests.post(server.url + API + "/users", json={"login": login, "password": PASSWORD},
                             timeout=30).status_code == 201
        token = requests.post(server.url + API + "/users/auth", json={"credentials": login, "password": PASSWORD},
                              timeout=30).json()["token"]
        session = requests  # a connection per request: the server closes some (413) after answering
        hostile = hostile_requests(token)

        def one_round():
            for name, method, path, kwargs, expected in hostile:
                try:
                    response = session.request(method, server.url + path, timeout=60, **kwargs)
                except requests.ConnectionError as exc:
                    # the oversize body: gunicorn answers 413 from the Content-Length and closes without
                    # reading the rest, so the client may see the reset before the answer
                    assert name == "9 MB body", f"{name}: no answer ({exc})"
                    continue
                _refused(name, response, expected)
            ok = session.post(server.url + GRAPHQL_PATH, json={"query": "{ getBaseMetrics { userCount } }"},
                              timeout=30)
            assert ok.status_code == 200 and json.loads(ok.text)["data"]["getBaseMetrics"]["userCount"] >= 1

        one_round()  # warm-up: code paths, caches and the allocator's pools
        baseline = rss_mb(pid)
        peaks = []
        for _ in range(ROUNDS):
            one_round()
            peaks.append(rss_mb(pid))
        after = rss_mb(pid)
        print(f"\n[hostile] worker RSS baseline {baseline:.1f} MB, after each round {peaks}, "
              f"{len(hostile)} hostile requests x {ROUNDS} rounds")
        assert server.worker_pids() == {pid}, "the worker died or was replaced"
        assert after - baseline < RSS_MARGIN_MB, f"worker RSS {baseline:.1f} -> {after:.1f} MB"
