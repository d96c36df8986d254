"""Logs: JSON lines from a real gunicorn (app, error and access logs), request ids, and no secret in any
line of a full run at DEBUG level: login, a private registry with a PAT, a unit with a stored env.json,
a unit connecting over MQTT through the dev broker (its token checked by our auth hook)."""
from __future__ import annotations

import base64
import json
import logging
import urllib.parse

import requests

from pepeunit.observability import log_context
from pepeunit.observability.logs import JsonFormatter, TextFormatter, redact

from ..broker.test_devbroker import Client
from ..git_server import make_unit_repo
from ..helpers import API, GRAPHQL, make_test_environ, wait_until
from ..processes import DevBroker, Gunicorn, free_port
from .conftest import BOT_TOKEN

PASSWORD = "Leak-Check-Password-4411"
WRONG_PASSWORD = "Wrong-Password-Leak-9302"
ENV_SECRETS = {"WIFI_SSID": "Leak-Check-Ssid-5120", "WIFI_PASS": "Leak-Check-Wifi-8833"}


class Http:
    def __init__(self, url: str):
        self.url, self.token = url, None

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["x-auth-token"] = self.token
        answer = requests.request(method, self.url + path, headers=headers, timeout=60, **kwargs)
        assert answer.status_code == expect, (method, path, answer.status_code, answer.text)
        return answer


def run_traffic(server, broker_port: int, git_server, settings) -> list[str]:
    """Everything a user and a unit do with secrets; returns the secrets used."""
    http = Http(server.url)
    user = http.call("POST", f"{API}/users", 201, json={"login": "leakcheck", "password": PASSWORD}).json()
    http.call("POST", f"{API}/users/auth", 403, json={"credentials": "leakcheck", "password": WRONG_PASSWORD})
    answer = http.call("POST", f"{API}/users/auth", json={"credentials": "leakcheck", "password": PASSWORD},
                       headers={"X-Request-ID": "leak-check-login-1"})
    assert answer.headers["X-Request-ID"] == "leak-check-login-1"
    token = answer.json()["token"]
    gql = http.call("POST", GRAPHQL, json={
        "query": 'query { getToken(data: {credentials: "leakcheck", password: "%s"}) }' % PASSWORD}).json()
    assert gql["data"] and gql["data"]["getToken"], gql
    http.call("GET", GRAPHQL, params={
        "query": 'query { getToken(data: {credentials: "leakcheck", password: "%s"}) }' % WRONG_PASSWORD})
    http.token = token

    private = make_unit_repo(git_server, private=True)
    registry = http.call("POST", f"{API}/repository_registry", 201, json={
        "platform": "Gitlab", "repository_url": private.url, "is_public_repository": False,
        "credentials": {"username": git_server.username, "pat_token": git_server.password}}).json()
    repo = http.call("POST", f"{API}/repos", 201, json={
        "repository_registry_uuid": registry["uuid"], "default_branch": "main", "visibility_level": "Public",
        "name": "leak-repo", "is_compilable_repo": False}).json()
    unit = http.call("POST", f"{API}/units", 201, json={
        "repo_uuid": repo["uuid"], "visibility_level": "Public", "name": "leak-unit",
        "is_auto_update_from_repo_unit": True}).json()
    env = http.call("GET", f"{API}/units/env/{unit['uuid']}").json()
    env.update(ENV_SECRETS)
    http.call("PATCH", f"{API}/units/env/{unit['uuid']}", 204, json={"env_json_string": json.dumps(env)})
    stored = http.call("GET", f"{API}/units/env/{unit['uuid']}").json()
    assert stored["WIFI_PASS"] == ENV_SECRETS["WIFI_PASS"]
    http.call("PATCH", f"{API}/units/env/{unit['uuid']}", 422, json={"env_json_string": '{"WIFI_PASS": "%s"' % PASSWORD})

    # The unit connects with its token; the dev broker asks our hook (token in the body) for each action.
    device = Client(broker_port, stored["PU_AUTH_TOKEN"], unit["uuid"])
    try:
        assert not device.reason.is_failure
        device.publish(f"{settings.PU_DOMAIN}/{unit['uuid']}/state/pepeunit", json.dumps({"millis": 1}))
        device.publish(f"{settings.PU_DOMAIN}/not-my-unit/state/pepeunit", "{}")  # denied
        assert wait_until(lambda: http.call("GET", f"{API}/units/{unit['uuid']}").json().get("last_update_datetime"), 20)
    finally:
        device.close()
    requests.post(server.url + f"{API}/units/auth", timeout=10,
                  json={"token": http.token, "topic": "x/y", "action": "publish", "clientid": "c"})

    secrets = [PASSWORD, WRONG_PASSWORD, http.token, git_server.password, stored["PU_AUTH_TOKEN"],
               stored["PU_SECRET_KEY"], *ENV_SECRETS.values(), settings.PU_SECRET_KEY, settings.PU_ENCRYPT_KEY,
               base64.b64encode(f"{git_server.username}:{git_server.password}".encode()).decode()]
    secrets += [stored[k] for k in ("PU_ENCRYPT_KEY",) if stored.get(k)]
    return secrets, user


def test_a_full_run_at_debug_level_writes_json_lines_without_any_secret(app, settings, database_url, redis_url,
                                                                        git_server, tmp_path, leak_check_bot):
    port = free_port()
    environ = make_test_environ(database_url, redis_url, PU_LOG_FORMAT="json", PU_ACCESS_LOG="-",
                                PU_MQTT_PORT=port, PU_LEADER_LEASE_SECONDS=2,
                                PU_SAVE_REPO_PATH=tmp_path / "repo_cache",
                                PU_TELEGRAM_TOKEN=BOT_TOKEN, PU_TELEGRAM_API_URL=leak_check_bot.url,
                                PU_TELEGRAM_BOT_MODE="polling")
    with Gunicorn(environ, workers=2, log_level="DEBUG") as server, \
            DevBroker(environ, server.url + f"{API}/units/auth", port, log_level="DEBUG") as broker:
        assert wait_until(lambda: "MQTT subscribed" in server.output(), 30), server.output()
        secrets, user = run_traffic(server, port, git_server, settings)
        leak_check_bot.push_message(4242, "/start")  # the bot polls through URLs holding its token
        leak_check_bot.wait_for_message(4242, timeout=30)
        secrets += [BOT_TOKEN, BOT_TOKEN.split(":", 1)[1]]
        hostile = requests.get(server.url + "/pepeunit", headers={"X-Request-ID": "x" * 300}, timeout=10)
        assert len(hostile.headers["X-Request-ID"]) == 32  # replaced, not echoed
        server_logs = server.output()
        logs = server_logs + broker.output()

    leaks = {s[:6] + "…": [line for line in logs.splitlines() if s in line or urllib.parse.quote(s) in line][:2]
             for s in secrets if s and (s in logs or urllib.parse.quote(s) in logs)}
    assert not leaks, leaks

    lines = [json.loads(line) for line in server_logs.splitlines() if line.strip()]  # every line is JSON
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "gunicorn.access", "pepeunit.runtime.runner"}
    assert any(line["level"] == "DEBUG" for line in lines)  # the run was at debug level
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    login = [line for line in access if line.get("request_id") == "leak-check-login-1"]
    assert len(login) == 1 and login[0]["route"] == f"{API}/users/auth" and login[0]["status"] == 200
    assert login[0]["method"] == "POST" and isinstance(login[0]["duration_ms"], (int, float))  # the field is there
    assert any(line.get("user_uuid") == user["uuid"] and "/units/env/{uuid}" in line.get("route", "")
               for line in access)
    hooks = [line for line in access if line.get("route") == f"{API}/units/auth"]
    assert hooks and all(line.get("request_id") for line in hooks)
    assert any(line.get("mqtt_topic", "").endswith("/state/pepeunit") for line in hooks)
    assert any("getToken" not in line["message"] and "query=…" in line["message"] for line in access)


def record(message: str, *args, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("pepeunit.test", logging.INFO, __file__, 1, message, args, exc_info)


def test_formatters_redact_and_carry_the_context():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1dWlkIjoiMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    token = log_context.start(request_id="rid-1", route="/pepeunit/api/v1/units/{uuid}")
    try:
        log_context.bind(user_uuid="u-1", unit_uuid=None)
        from pepeunit.observability.logs import ContextFilter

        rec = record("clone of %s failed, token=%s, body %s", "https://user:pat-123@git.example.com/r.git", jwt,
                     '{"password": "hunter2-secret"}')
        ContextFilter().filter(rec)
        line = json.loads(JsonFormatter().format(rec))
        assert line["request_id"] == "rid-1" and line["user_uuid"] == "u-1" and "unit_uuid" not in line
        assert line["route"] == "/pepeunit/api/v1/units/{uuid}" and line["level"] == "INFO"
        assert line["time"].endswith("Z")
        for secret in ("pat-123", jwt, "hunter2-secret"):
            assert secret not in line["message"]
        text = TextFormatter().format(rec)
        assert "request_id=rid-1" in text and "pat-123" not in text and jwt not in text
    finally:
        log_context.reset(token)
    try:
        raise RuntimeError(f"bad bot123456:{'A' * 35} Authorization: Bearer {jwt}")
    except RuntimeError as error:
        failed = json.loads(JsonFormatter().format(record("failed", exc=error)))
    assert "RuntimeError" in failed["exception"] and "A" * 35 not in failed["exception"] and jwt not in failed["exception"]
    assert redact("nothing secret here: /pepeunit/api/v1/units") == "nothing secret here: /pepeunit/api/v1/units"


def test_text_access_lines_show_the_request_id_and_no_query_values(app, database_url, redis_url):
    environ = make_test_environ(database_url, redis_url, PU_ACCESS_LOG="-")
    with Gunicorn(environ, workers=1) as server:
        answer = requests.get(server.url + GRAPHQL, params={"query": '{ getToken(data: {credentials: "a", '
                                                                     f'password: "{PASSWORD}"}}) }}'},
                              headers={"X-Request-ID": "text-rid-42", "x-auth-token": "eyJhbGciOi.eyJzdWIi.c2ln"},
                              timeout=10)
        assert answer.headers["X-Request-ID"] == "text-rid-42"
        assert wait_until(lambda: "text-rid-42" in server.output(), 10)
        output = server.output()
    line = next(line for line in output.splitlines() if "text-rid-42" in line)
    assert '"GET /pepeunit/graphql?query=… HTTP/1.1" 200' in line and line.endswith("request_id=text-rid-42")
    assert PASSWORD not in output and "getToken" not in output and "eyJhbGciOi" not in output
