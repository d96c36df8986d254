"""Private PostgreSQL, Redis and Mosquitto on free ports, for tests that stop, freeze and restart them.

Each is a real server in its own temporary folder, never the machine's shared one, so a test can
``stop()``/``start()`` it, ``freeze()``/``thaw()`` it (SIGSTOP/SIGCONT on it and its children) or
``kill()`` it (-9). PostgreSQL refuses to run as root: the cluster belongs to an unprivileged user
(``nobody``, else one created with ``useradd``). A missing binary fails with a clear message.
"""
from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import psycopg2
import redis

from tests.processes import free_port, listens

PG_USER_CANDIDATES = ("nobody", "pepeunit-faults")


def binary(name: str, *extra_dirs: str) -> str:
    """The path of ``name`` (on PATH or in one of ``extra_dirs``); fails naming what is missing."""
    found = shutil.which(name)
    if found:
        return found
    for pattern in extra_dirs:
        for candidate in sorted(glob.glob(os.path.join(pattern, name)), reverse=True):
            if os.access(candidate, os.X_OK):
                return candidate
    raise AssertionError(f"the fault tests need `{name}` (looked on PATH and in {', '.join(extra_dirs) or '-'}); "
                         f"install it (PostgreSQL server, redis-server, mosquitto)")


def _unprivileged_user() -> pwd.struct_passwd:
    """A non-root account PostgreSQL can run as; created if this host has none of the candidates."""
    for name in PG_USER_CANDIDATES:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())  # not root: PostgreSQL runs as we do
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    PG_USER_CANDIDATES[-1]], check=True, capture_output=True)
    return pwd.getpwnam(PG_USER_CANDIDATES[-1])


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the test process dies (killed by a timeout, say), so no
    server outlives its test. Set after any change of user: a change of credentials clears it."""
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _wait(predicate, what: str, timeout: float, proc: subprocess.Popen | None = None, log: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}:\n{_tail(log)}")
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready within {timeout:.0f}s:\n{_tail(log)}")


def _tail(path: str) -> str:
    try:
        with open(path, errors="replace") as handle:
            return handle.read()[-4000:]
    except OSError:
        return ""


class _Server:
    """One server process with its log in its folder; start/stop/kill/freeze/thaw."""

    name = "server"

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"pu-faults-{self.name}-")
        self.log = os.path.join(self.dir, "server.log")
        self.proc: subprocess.Popen | None = None
        self.frozen = False

    def argv(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def preexec(self):
        return _die_with_parent

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.argv(), cwd=self.dir, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=self.preexec())
        _wait(self.ready, self.name, 30, self.proc, self.log)

    def pids(self) -> list[int]:
        return [self.proc.pid, *_children(self.proc.pid)] if self.proc and self.proc.poll() is None else []

    def freeze(self) -> None:
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        for pid in reversed(self.pids()):
            os.kill(pid, signal.SIGCONT)
        self.frozen = False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.frozen:
            self.thaw()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _listens(self) -> bool:
        return listens(self.port)


class PrivatePostgres(_Server):
    """A cluster made by ``initdb`` in a temporary folder, run by an unprivileged user, trust auth."""

    name = "postgres"
    BIN_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")

    def __init__(self, database: str = "pepeunit"):
        super().__init__()
        self.database = database
        self.postgres = binary("postgres", *self.BIN_DIRS)
        initdb = binary("initdb", *self.BIN_DIRS)
        self.user = _unprivileged_user()
        self.data = os.path.join(self.dir, "data")
        os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        done = subprocess.run([initdb, "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                               "--locale=C", "--no-sync"], cwd=self.dir, capture_output=True, text=True,
                              preexec_fn=self.preexec(), env={"PATH": os.environ.get("PATH", "")})
        if done.returncode:
            raise AssertionError(f"initdb as {self.user.pw_name} failed:\n{done.stdout}\n{done.stderr}")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def preexec(self):
        if os.geteuid() != 0:
            return _die_with_parent
        uid, gid = self.user.pw_uid, self.user.pw_gid

        def drop():
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            _die_with_parent()
        return drop

    def argv(self) -> list[str]:
        return [self.postgres, "-D", self.data, "-p", str(self.port), "-k", self.dir,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=60", "-c", "shared_buffers=16MB"]

    def connect(self, database: str | None = None, timeout: int = 2):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database or self.database,
                                connect_timeout=timeout)
        conn.autocommit = True
        return conn

    def ready(self) -> bool:
        try:
            self.connect("postgres", 1).close()
            return True
        except psycopg2.Error:
            return False

    def create_database(self) -> None:
        conn = self.connect("postgres")
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.database}"')
        conn.close()

    def stop(self, sig: int = signal.SIGINT) -> None:  # SIGINT: PostgreSQL's "fast" shutdown
        super().stop(sig)


class PrivateRedis(_Server):
    """``redis-server --port <free> --save '' --appendonly no``: a restart comes back empty."""

    name = "redis"

    def argv(self) -> list[str]:
        return [binary("redis-server", "/usr/bin", "/usr/local/bin"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", self.dir]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def ready(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False


class PrivateMosquitto(_Server):
    """Mosquitto on a free port, anonymous, with persistence in its folder: queued QoS-1 messages and
    sessions survive a graceful stop (SIGTERM writes them), as a production broker's would."""

    name = "mosquitto"

    def __init__(self):
        super().__init__()
        os.chmod(self.dir, 0o777)  # its store stays writable should mosquitto run as another user
        self.config = os.path.join(self.dir, "mosquitto.conf")
        with open(self.config, "w") as handle:
            handle.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                         f"persistence true\npersistence_location {self.dir}/\n"
                         "max_queued_messages 0\nmax_inflight_messages 0\nlog_type all\n"
                         "user root\n")  # no switch of user: it would clear the parent-death signal

    def argv(self) -> list[str]:
        return [binary("mosquitto", "/usr/sbin", "/usr/local/sbin"), "-c", self.config]

    def ready(self) -> bool:
        return self._listens()
