"""The backend under a real gunicorn (2 workers, short timeouts) on a private PostgreSQL, Redis and
Mosquitto (``tests.faults.services``), with one user and ``UNITS`` units; and what the fault tests
read from it: the lease holder, the stored log lines, the broker's log of the backend's connections.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import time

import redis
import requests
from flask_migrate import upgrade

from pepeunit import create_app
from pepeunit.broker.identity import backend_client_id
from pepeunit.config import Settings
from pepeunit.db_deadline import SLACK
from pepeunit.extensions import db
from pepeunit.runtime.runner import lease_name
from tests import world
from tests.faults.services import PrivateMosquitto, PrivatePostgres, PrivateRedis
from tests.helpers import PASSWORD, make_test_environ
from tests.processes import Gunicorn

UNITS = 8
TIMEOUTS = {  # short, so an outage fails requests in seconds and the tests stay fast
    "PU_DB_CONNECT_TIMEOUT_SECONDS": 2,
    "PU_DB_STATEMENT_TIMEOUT_MS": 3000,
    "PU_DB_POOL_TIMEOUT_SECONDS": 2,
    "PU_REDIS_SOCKET_TIMEOUT_SECONDS": 2,
    "PU_LEADER_LEASE_SECONDS": 3,
    "PU_MQTT_KEEPALIVE": 10,
}
# The slowest a request may be during an outage: a frozen PostgreSQL costs the pooled connection's
# client-side deadline (statement timeout + db_deadline.SLACK) then a connect timeout; a frozen Redis a
# connect and a command timeout. A loaded 2-core machine adds the margin.
MARGIN = 3
SLOWEST_ANSWER = max(TIMEOUTS["PU_DB_STATEMENT_TIMEOUT_MS"] / 1000 + SLACK + TIMEOUTS["PU_DB_CONNECT_TIMEOUT_SECONDS"],
                     2 * TIMEOUTS["PU_REDIS_SOCKET_TIMEOUT_SECONDS"]) + MARGIN


@dataclasses.dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    broker: PrivateMosquitto
    server: Gunicorn
    settings: Settings
    units: list[tuple[str, str]]  # (unit uuid, unit token)
    login: str
    token: str

    @property
    def lease_key(self) -> str:
        return f"pepeunit:lease:{lease_name(self.settings)}"

    def leader_pid(self) -> int | None:
        """The worker the lease in Redis names (``host:pid:random``), or None (no holder, Redis away)."""
        try:
            value = self.redis.client().get(self.lease_key)
        except redis.RedisError:
            return None
        return int(value.decode().split(":")[1]) if value else None

    def stored_logs(self, tag: str) -> list[str]:
        conn = self.postgres.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT text FROM unit_logs WHERE text LIKE %s", (f"{tag}-%",))
                return [row[0] for row in cur.fetchall()]
        finally:
            conn.close()

    def fence_generation(self) -> int | None:
        """The newest leadership generation the database accepted a batch from (``leader_fence``)."""
        conn = self.postgres.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT generation FROM leader_fence WHERE name = %s", (lease_name(self.settings),))
                row = cur.fetchone()
                return row[0] if row else None
        finally:
            conn.close()

    def answers_ok(self) -> bool:
        try:
            response = requests.get(self.server.url + "/pepeunit/api/v1/units",
                                    headers={"x-auth-token": self.token}, timeout=5)
            return response.status_code == 200
        except requests.RequestException:
            return False

    def backend_connections(self) -> list[str]:
        """Mosquitto's log lines of the backend consumer's connections, e.g. ``... as <id> (p5, c0, k10).``"""
        client_id = backend_client_id(self.settings)
        with open(self.broker.log, errors="replace") as handle:
            return [line for line in handle if re.search(rf"New client connected .* as {client_id} \(", line)]

    def gunicorn_log(self) -> str:
        return self.server.output()


def _populate(env: dict) -> tuple[Settings, list[tuple[str, str]]]:
    settings = Settings.from_env(env)
    app = create_app(settings)
    with app.app_context():
        upgrade()
        owner = world.user(bare=True)
        repo = world.repo(owner, bare=True)
        rows = [world.unit(owner, repo, bare=True) for _ in range(UNITS)]
        db.session.commit()
        units = [(str(row.uuid), world.unit_token(row, settings)) for row in rows]
        db.session.remove()
        db.engine.dispose()
    return settings, units


@contextlib.contextmanager
def running_stack():
    postgres, cache, broker = PrivatePostgres(), PrivateRedis(), PrivateMosquitto()
    server = None
    try:
        postgres.start()
        postgres.create_database()
        cache.start()
        broker.start()
        env = make_test_environ(postgres.url, cache.url, PU_MQTT_PORT=broker.port, **TIMEOUTS)
        settings, units = _populate(env)
        server = Gunicorn(env, workers=2, log_level="INFO").__enter__()
        login = "faults-user"
        created = requests.post(server.url + "/pepeunit/api/v1/users", json={"login": login, "password": PASSWORD},
                                timeout=30)
        assert created.status_code == 201, created.text
        auth = requests.post(server.url + "/pepeunit/api/v1/users/auth",
                             json={"credentials": login, "password": PASSWORD}, timeout=30)
        stack = Stack(postgres, cache, broker, server, settings, units, login, auth.json()["token"])
        end = time.monotonic() + 30
        while stack.leader_pid() not in server.worker_pids() or not stack.backend_connections():
            assert time.monotonic() < end, "no leader consuming within 30 s:\n" + server.output()[-4000:]
            time.sleep(0.2)
        yield stack
    finally:
        keep = os.environ.get("PU_FAULTS_KEEP_LOGS")  # a folder: the run's server logs are copied there
        if keep and server is not None:
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, "gunicorn.log"), "w") as handle:
                handle.write(server.output())
            for service in (broker, cache, postgres):
                if os.path.exists(service.log):
                    shutil.copy(service.log, os.path.join(keep, f"{service.name}.log"))
        if server is not None:
            server.stop()
        for service in (broker, cache, postgres):
            service.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
