"""Small helpers the tests and benchmarks share: register, log in, call GraphQL, run git, wait, publish,
run a consumer."""
from __future__ import annotations

import base64
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

from pepeunit.mqtt.consumer import Consumer

API = "/pepeunit/api/v1"
GRAPHQL = "/pepeunit/graphql"
PASSWORD = "password-123"
RUN_ID = uuid.uuid4().hex[:10]  # this test run's: names its database and its MQTT domain

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}


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
        # never the real GitHub: a closed local port (fast refusal) unless a test passes the stand-in's URL
        "PU_GITHUB_API_URL": "http://127.0.0.1:9",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def register(client, login: str, password: str = PASSWORD) -> dict:
    response = client.post(f"{API}/users", json={"login": login, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def login(client, login: str, password: str = PASSWORD) -> str:
    response = client.post(f"{API}/users/auth", json={"credentials": login, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def new_user(client, name: str) -> tuple[dict, str]:
    user = register(client, name)
    return user, login(client, name)


def auth(token: str | None) -> dict:
    return {"x-auth-token": token} if token else {}


def gql(client, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    response = client.post(GRAPHQL, json={"query": query, "variables": variables}, headers=auth(token))
    assert response.status_code == 200, response.data
    return response.get_json()


def gql_error(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["message"]


def git(cwd, *args: str) -> str:
    """Run git in ``cwd`` with a clean config and a fixed author; return stripped stdout (raises on failure)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def new_work_repo(path) -> Path:
    """An empty work repository on branch ``main`` at ``path`` (created), with a test author."""
    path = Path(path)
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "tests@example.com")
    git(path, "config", "user.name", "tests")
    return path


def wait_until(predicate, timeout: float = 10.0, step: float = 0.02):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` seconds pass; return its
    last value (truthy when it held, so callers may use it as a bool or keep what it found)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def publish_all(client, messages, qos=1):
    """Publish (topic, payload) pairs and wait until the broker acknowledged every one."""
    infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(10)
        assert info.is_published()


class RunningConsumer:
    """A consumer on its own thread for one test (not through the leader election)."""

    def __init__(self, app, **kwargs):
        self.consumer = Consumer(app, **kwargs)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.consumer.subscribed.wait(10), "consumer did not subscribe"
        return self.consumer

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive()
