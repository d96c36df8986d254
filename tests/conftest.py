"""Test harness: a real PostgreSQL database and a real Redis DB number per test run.

Each run creates its own database (dropped at the end) and claims a free Redis
database number, so parallel runs never see each other's data. A missing
service fails the run loudly; nothing is skipped.

The fixtures every folder shares live here (the app and its client, the git HTTP
server, ``repo_cache``, ``unit_world``, the MQTT ``publisher``); entities come from
``tests/world.py`` and small helpers from ``tests/helpers.py``.
"""
from __future__ import annotations

import os
import uuid

import paho.mqtt.client as mqtt
import psycopg2
import pytest
import redis
import sqlalchemy as sa

from pepeunit import create_app
from pepeunit.broker.identity import backend_client_id
from pepeunit.config import Settings
from pepeunit.extensions import db
from tests.git_server import GitHttpServer, RepoCache
from tests.helpers import RUN_ID, make_test_environ, new_user
from tests.unit_repo import UnitWorld, build_unit_repository, register_repository

ADMIN_DB_URL = os.environ.get("PU_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("PU_TEST_REDIS_URL", "redis://127.0.0.1:6379")
TEST_DB_NAME = f"pepeunit_test_{RUN_ID}"


def _admin_connection():
    conn = psycopg2.connect(ADMIN_DB_URL)
    conn.autocommit = True
    return conn


def _claim_redis_db() -> int:
    for number in range(1, 16):
        client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{number}")
        if client.set("pepeunit:test-run-owner", RUN_ID, nx=True, ex=6 * 3600):
            client.close()
            return number
    raise RuntimeError("no free Redis database number (1..15) for this test run")


@pytest.fixture(scope="session")
def database_url():
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{TEST_DB_NAME}"')
    base = ADMIN_DB_URL.rsplit("/", 1)[0]
    yield f"{base}/{TEST_DB_NAME}"
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def redis_url():
    number = _claim_redis_db()
    url = f"{REDIS_BASE_URL}/{number}"
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="session")
def settings(database_url, redis_url, git_server) -> Settings:
    # GitHub's releases API is the git server's stand-in; GitLab's is each repository's own host.
    return Settings.from_env(make_test_environ(database_url, redis_url,
                                               PU_GITHUB_API_URL=git_server.releases.github_url))


@pytest.fixture(scope="session")
def app(settings):
    from flask_migrate import upgrade

    application = create_app(settings)
    with application.app_context():
        upgrade()
    return application


@pytest.fixture(autouse=True)
def clean_state(request, redis_url):
    """Every test starts with empty tables and an empty Redis DB (but keeps the run's claim)."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} CASCADE"))
        db.session.commit()
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.set("pepeunit:test-run-owner", RUN_ID, ex=6 * 3600)


@pytest.fixture
def client(app):
    return app.test_client()


# ------------------------------------------------------------------------- repositories
@pytest.fixture(scope="session")
def git_server(tmp_path_factory):
    server = GitHttpServer(tmp_path_factory.mktemp("git-server")).start()
    yield server
    server.stop()


@pytest.fixture
def repo_cache(app, tmp_path, monkeypatch) -> RepoCache:
    """This test's own PU_SAVE_REPO_PATH (``repo_cache.path``) and settings knobs."""
    return RepoCache(app, monkeypatch, tmp_path / "repo_cache")


@pytest.fixture
def unit_world(app, client, repo_cache, tmp_path) -> UnitWorld:
    user, token = new_user(client, "owner1")
    work = build_unit_repository(tmp_path / "work")
    with app.app_context():
        registry, repo = register_repository(work, user["uuid"])
        registry_uuid, repo_uuid = registry.uuid, repo.uuid
    return UnitWorld(client, app, app.config["PU_SETTINGS"], user, token, work, registry_uuid, repo_uuid)


# --------------------------------------------------------------------------------- MQTT
@pytest.fixture
def publisher():
    """A client publishing on the real Mosquitto."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


@pytest.fixture(scope="session")
def forget_backend_session(settings):
    """Drop this run's persistent consumer session from Mosquitto when the run ends
    (made autouse by the conftest of each folder whose tests run a consumer)."""
    yield
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=backend_client_id(settings),
                         protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", 1883, clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()
