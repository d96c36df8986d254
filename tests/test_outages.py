"""PostgreSQL or Redis down (or frozen): every door answers 503 JSON fast, and the log says it once.

The apps here point at a port with nothing listening ("dead") or at a socket that accepts and
never answers ("frozen"); the Redis cases use the run's real database with a dead Redis.
"""
from __future__ import annotations

import logging
import socket
import time
import uuid

import pytest
from sqlalchemy.exc import OperationalError

from pepeunit import create_app, outages
from pepeunit.config import Settings
from pepeunit.errors import ServiceUnavailableError
from pepeunit.extensions import db
from pepeunit.services.agents import issue_unit_token
from pepeunit.services.mqtt_auth import CONNECT
from tests.helpers import API, GRAPHQL, auth, make_test_environ, new_user

CONNECT_TIMEOUT = 2
MARGIN = 3  # seconds a loaded machine may add to the configured timeout


@pytest.fixture
def dead_port():
    """A local port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def frozen_port():
    """A socket that completes the TCP handshake (backlog) but never says a word: a frozen server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture(autouse=True)
def fresh_tracker():
    for dependency in (outages.POSTGRESQL, outages.REDIS):
        outages.recovered(dependency)
    yield


def _app(database_url: str, redis_url: str):
    return create_app(Settings.from_env(make_test_environ(
        database_url, redis_url,
        PU_DB_CONNECT_TIMEOUT_SECONDS=CONNECT_TIMEOUT, PU_REDIS_SOCKET_TIMEOUT_SECONDS=CONNECT_TIMEOUT,
    )))


def _assert_503(response, dependency: str, key: str) -> str:
    assert response.status_code == 503, response.data
    assert response.mimetype == "application/json"
    assert response.headers["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    body = response.get_json()
    message = body["detail"] if key == "detail" else body["errors"][0]["message"]
    assert message.startswith(f"503: {ServiceUnavailableError.code}: Service Unavailable: {dependency} is unavailable")
    return message


def _timed(call):
    started = time.monotonic()
    response = call()
    assert time.monotonic() - started < CONNECT_TIMEOUT + MARGIN
    return response


def _no_tracebacks(caplog):
    assert [r for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize("port_fixture", ["dead_port", "frozen_port"])
def test_database_down_answers_503_on_rest_and_graphql(request, app, client, redis_url, caplog, port_fixture):
    _, token = new_user(client, "outage1")  # a valid token, signed with the same key
    port = request.getfixturevalue(port_fixture)
    down = _app(f"postgresql://postgres@127.0.0.1:{port}/pepeunit", redis_url).test_client()
    caplog.set_level(logging.INFO, logger="pepeunit")

    rest = _timed(lambda: down.post(f"{API}/users/auth", json={"credentials": "outage1", "password": "x"}))
    message = _assert_503(rest, outages.POSTGRESQL, "detail")
    graphql = _timed(lambda: down.post(GRAPHQL, json={"query": "{ getUsers(filters: {}) { count } }"},
                                       headers=auth(token)))
    assert _assert_503(graphql, outages.POSTGRESQL, "errors") == message
    _assert_503(_timed(lambda: down.get(f"{API}/users", headers=auth(token))), outages.POSTGRESQL, "detail")

    warnings = [r for r in caplog.records if r.name == "pepeunit.outages" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "PostgreSQL" in warnings[0].getMessage()
    _no_tracebacks(caplog)
    outages.recovered(outages.POSTGRESQL)
    infos = [r for r in caplog.records if r.name == "pepeunit.outages" and r.levelno == logging.INFO]
    assert len(infos) == 1 and "3 request(s)" in infos[0].getMessage()


@pytest.mark.parametrize("port_fixture", ["dead_port", "frozen_port"])
def test_redis_down_answers_503_and_the_end_is_logged_when_redis_answers(
    request, app, client, database_url, redis_url, caplog, port_fixture,
):
    _, token = new_user(client, "outage2")
    port = request.getfixturevalue(port_fixture)
    down = _app(database_url, f"redis://127.0.0.1:{port}/0").test_client()
    caplog.set_level(logging.INFO, logger="pepeunit")

    for _ in range(2):
        link = _timed(lambda: down.get(f"{API}/users/generate_verification_link/", headers=auth(token)))
        _assert_503(link, outages.REDIS, "detail")
    warnings = [r for r in caplog.records if r.name == "pepeunit.outages" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Redis" in warnings[0].getMessage()
    _no_tracebacks(caplog)

    up = _app(database_url, redis_url).test_client()  # Redis answers again: a new connection ends the outage
    assert up.get(f"{API}/users/generate_verification_link/", headers=auth(token)).status_code == 200
    infos = [r for r in caplog.records if r.name == "pepeunit.outages" and r.levelno == logging.INFO]
    assert len(infos) == 1 and "2 request(s)" in infos[0].getMessage()
    assert not outages.in_outage(outages.REDIS)


def test_timeouts_reach_the_engine_and_the_redis_client(app):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    settings = app.config["PU_SETTINGS"]
    assert options["pool_timeout"] == settings.PU_DB_POOL_TIMEOUT_SECONDS
    assert options["connect_args"]["connect_timeout"] == settings.PU_DB_CONNECT_TIMEOUT_SECONDS
    assert options["connect_args"]["options"] == f"-c statement_timeout={settings.PU_DB_STATEMENT_TIMEOUT_MS}"
    kwargs = app.extensions["pepeunit_redis"].connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == settings.PU_REDIS_SOCKET_TIMEOUT_SECONDS


def test_the_session_teardown_never_raises(app, monkeypatch):
    def broken_remove():
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    with app.app_context():
        monkeypatch.setattr(db.session, "remove", broken_remove)
        db._teardown_session(None)  # must not raise


def test_the_mqtt_auth_hook_denies_during_an_outage_without_a_traceback_per_call(
    app, redis_url, dead_port, caplog
):
    token = issue_unit_token(uuid.uuid4(), app.config["PU_SETTINGS"])  # connecting needs the unit's row
    down = _app(f"postgresql://postgres@127.0.0.1:{dead_port}/pepeunit", redis_url).test_client()
    caplog.set_level(logging.INFO, logger="pepeunit")
    for _ in range(3):
        hook = _timed(lambda: down.post(f"{API}/units/auth", json={"token": token, "topic": "a/b", "action": CONNECT}))
        assert hook.status_code == 200 and hook.get_json()["result"] == "deny"
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    _no_tracebacks(caplog)
