"""Test harness: a real PostgreSQL database and a real Redis DB number per test run.

Each run creates its own database (dropped at the end) and claims a free Redis
database number, so parallel runs never see each other's data. A missing
service fails the run loudly; nothing is skipped.
"""
from __future__ import annotations

import base64
import os
import uuid

import psycopg2
import pytest
import redis
import sqlalchemy as sa

from pepeunit import create_app
from pepeunit.config import Settings
from pepeunit.extensions import db

ADMIN_DB_URL = os.environ.get("PU_TEST_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("PU_TEST_REDIS_URL", "redis://127.0.0.1:6379")
RUN_ID = uuid.uuid4().hex[:10]
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


def make_test_environ(database_url: str, redis_url: str, **extra) -> dict:
    env = {
        "PU_DOMAIN": f"u{RUN_ID}.test.local",  # per run: MQTT topics never cross runs
        "PU_SECURE": "false",
        "PU_SECRET_KEY": "test-secret-key-test-secret-key-0123456789",
        "PU_ENCRYPT_KEY": base64.b64encode(b"k" * 32).decode(),
        "PU_SQLALCHEMY_DATABASE_URL": database_url,
        "PU_REDIS_URL": redis_url,
        "PU_MQTT_HOST": "127.0.0.1",
        "PU_MQTT_PORT": "1883",
        "PU_METRICS_CACHE_SECONDS": "0",
        "PU_LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


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
def settings(database_url, redis_url) -> Settings:
    return Settings.from_env(make_test_environ(database_url, redis_url))


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
