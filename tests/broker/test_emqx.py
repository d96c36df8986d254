"""EMQX self-configuration against a local stand-in of the EMQX 5 admin API."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from pepeunit.broker import emqx
from pepeunit.broker.identity import issue_backend_token
from pepeunit.config import Settings

from ..helpers import make_test_environ

# EMQX 5's documented values of mqtt.shared_subscription_strategy
SHARED_SUBSCRIPTION_STRATEGIES = ("random", "round_robin", "round_robin_per_group", "sticky", "local",
                                  "hash_clientid", "hash_topic")


class FakeEmqx:
    """The documented behaviour we rely on: login -> Bearer token; sources are prepended on POST,
    DELETE of a missing source is 404; settings/listener/zone/retainer PUTs answer 200."""

    def __init__(self):
        self.calls: list[tuple[str, str, object, dict]] = []
        self.sources: list[dict] = [{"type": "file", "enable": True, "rules": "{allow, all}."}]
        self.ready_after = 2  # swagger answers 503 this many times first
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.calls.append((method, self.path, body, dict(self.headers)))
                if self.path == "/api-docs/swagger.json" and method == "GET":
                    fake.ready_after -= 1
                    return self._reply(503 if fake.ready_after >= 0 else 200, {})
                if self.path == "/api/v5/login" and method == "POST":
                    if body == {"username": "admin", "password": "public-pass"}:
                        return self._reply(200, {"token": "tok-123", "version": "5.8.0", "license": {}})
                    return self._reply(401, {"code": "BAD_USERNAME_OR_PWD"})
                if self.headers.get("Authorization") != "Bearer tok-123":
                    return self._reply(401, {"code": "TOKEN_TIME_OUT"})
                if self.path.startswith("/api/v5/authorization/sources/") and method == "DELETE":
                    kind = self.path.rsplit("/", 1)[1]
                    if not any(s["type"] == kind for s in fake.sources):
                        return self._reply(404, {"code": "NOT_FOUND"})
                    fake.sources = [s for s in fake.sources if s["type"] != kind]
                    return self._reply(204)
                if self.path == "/api/v5/authorization/sources" and method == "POST":
                    if any(s["type"] == body["type"] for s in fake.sources):
                        return self._reply(400, {"code": "BAD_REQUEST"})
                    fake.sources.insert(0, body)
                    return self._reply(204)
                if method == "PUT" and self.path == "/api/v5/configs/global_zone":
                    # EMQX validates the zone against its schema: the strategy is one of its enum values
                    strategy = (body or {}).get("mqtt", {}).get("shared_subscription_strategy")
                    if strategy not in SHARED_SUBSCRIPTION_STRATEGIES:
                        return self._reply(400, {"code": "BAD_REQUEST", "message": "shared_subscription_strategy"})
                    return self._reply(200, body)
                if method == "PUT" and self.path in ("/api/v5/authorization/settings", "/api/v5/listeners/tcp:default",
                                                     "/api/v5/configs/global_zone", "/api/v5/mqtt/retainer"):
                    return self._reply(200, body)
                return self._reply(404, {"code": "NOT_FOUND"})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PUT(self):
                self._handle("PUT")

            def do_DELETE(self):
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def fake_emqx():
    fake = FakeEmqx()
    yield fake
    fake.server.shutdown()


def _settings(database_url, redis_url, **extra):
    return Settings.from_env(make_test_environ(database_url, redis_url, **extra))


def test_configure_makes_the_spec_calls_in_order(fake_emqx, database_url, redis_url):
    settings = _settings(database_url, redis_url, PU_MQTT_USERNAME="admin", PU_MQTT_PASSWORD="public-pass",
                         PU_MQTT_SECURE="false", PU_MQTT_API_PORT=fake_emqx.port, PU_MQTT_PORT=1884,
                         PU_MQTT_REDIS_AUTH_URL="redis://:s3cret@redis.internal:6380/12")
    assert emqx.configure(settings, attempts=5, pause=0.01) is True
    calls = [(method, path) for method, path, _, _ in fake_emqx.calls]
    assert calls == [
        ("GET", "/api-docs/swagger.json"), ("GET", "/api-docs/swagger.json"), ("GET", "/api-docs/swagger.json"),
        ("POST", "/api/v5/login"),
        ("DELETE", "/api/v5/authorization/sources/file"),
        ("DELETE", "/api/v5/authorization/sources/http"),
        ("DELETE", "/api/v5/authorization/sources/redis"),
        ("POST", "/api/v5/authorization/sources"),
        ("POST", "/api/v5/authorization/sources"),
        ("POST", "/api/v5/authorization/sources"),
        ("PUT", "/api/v5/authorization/settings"),
        ("PUT", "/api/v5/listeners/tcp:default"),
        ("PUT", "/api/v5/configs/global_zone"),
        ("PUT", "/api/v5/mqtt/retainer"),
    ]
    # EMQX prepends each POSTed source: redis is asked first, then our hook, then the file rules.
    assert [s["type"] for s in fake_emqx.sources] == ["redis", "http", "file"]
    file_source, http_source, redis_source = fake_emqx.sources[2], fake_emqx.sources[1], fake_emqx.sources[0]
    assert file_source["rules"] == emqx.FILE_RULES
    assert http_source["url"] == f"http://{settings.PU_DOMAIN}/pepeunit/api/v1/units/auth"
    assert http_source["method"] == "post" and http_source["ssl"]["enable"] is False
    assert http_source["body"] == {"token": "${username}", "topic": "${topic}", "action": "${action}",
                                   "clientid": "${clientid}"}
    assert redis_source["server"] == "redis.internal:6380" and redis_source["database"] == 12
    assert redis_source["password"] == "s3cret" and redis_source["cmd"] == "HGETALL mqtt_acl:${username}"
    bodies = {path: body for method, path, body, _ in fake_emqx.calls if method == "PUT"}
    assert bodies["/api/v5/authorization/settings"]["no_match"] == "deny"
    assert bodies["/api/v5/authorization/settings"]["deny_action"] == "ignore"
    listener = bodies["/api/v5/listeners/tcp:default"]
    assert listener["bind"] == "0.0.0.0:1884" and listener["max_connections"] == settings.PU_MQTT_MAX_CLIENTS
    assert listener["messages_rate"] == settings.PU_MQTT_CLIENT_MAX_MESSAGES_RATE
    zone = bodies["/api/v5/configs/global_zone"]["mqtt"]
    assert zone["max_packet_size"] == "256KB" and zone["max_topic_levels"] == 5 and zone["retain_available"] is False
    assert bodies["/api/v5/mqtt/retainer"] == {"enable": False}
    # shared consumers: one topic goes to one group member while the group is stable (docs/ingestion.md)
    assert zone["shared_subscription"] is True and zone["shared_subscription_strategy"] == "hash_topic"
    assert [c[1] for c in fake_emqx.calls if c[1] == "/api/v5/configs/global_zone"] == ["/api/v5/configs/global_zone"]
    for _method, path, _, headers in fake_emqx.calls:
        if path.startswith("/api/v5/") and path != "/api/v5/login":
            assert headers["Authorization"] == "Bearer tok-123"


def test_wrong_password_fails_loudly(fake_emqx, database_url, redis_url):
    fake_emqx.ready_after = 0
    settings = _settings(database_url, redis_url, PU_MQTT_USERNAME="admin", PU_MQTT_PASSWORD="wrong",
                         PU_MQTT_SECURE="false", PU_MQTT_API_PORT=fake_emqx.port)
    with pytest.raises(emqx.EmqxError):
        emqx.configure(settings, attempts=1, pause=0.01)
    assert [path for _, path, _, _ in fake_emqx.calls][-1] == "/api/v5/login"
    assert [s["type"] for s in fake_emqx.sources] == ["file"]  # nothing was touched


def test_no_admin_user_skips_with_a_log_line(fake_emqx, database_url, redis_url, caplog, monkeypatch):
    # alembic's logging set-up (run by the app fixture) disables loggers that existed before it
    monkeypatch.setattr(logging.getLogger("pepeunit.broker.emqx"), "disabled", False)
    settings = _settings(database_url, redis_url, PU_MQTT_SECURE="false", PU_MQTT_API_PORT=fake_emqx.port)
    with caplog.at_level(logging.INFO, logger="pepeunit.broker.emqx"):
        assert emqx.configure(settings) is False
    assert fake_emqx.calls == []
    assert "EMQX self-configuration skipped" in caplog.text


def test_backend_acl_goes_to_the_redis_emqx_reads(database_url, redis_url):
    settings = _settings(database_url, redis_url)
    client = redis.Redis.from_url(redis_url)
    emqx.write_backend_acl(settings, client)
    acl = client.hgetall(f"mqtt_acl:{issue_backend_token(settings)}")
    d = settings.PU_DOMAIN
    assert {k.decode(): v.decode() for k, v in acl.items()} == {
        f"{d}/+/+/+/pepeunit": "all", f"{d}/+/pepeunit": "all", f"{d}/+": "publish"}


def test_base_url(database_url, redis_url):
    assert emqx.base_url(_settings(database_url, redis_url)) == "https://127.0.0.1"
    assert emqx.base_url(_settings(database_url, redis_url, PU_MQTT_SECURE="false")) == "http://127.0.0.1:18083"
