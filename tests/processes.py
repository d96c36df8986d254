"""Real processes for tests: the app under gunicorn (``gunicorn.conf.py``, post_fork runtime)
and the dev broker (``flask devbroker``: amqtt with our hook plugin).

Both are context managers that wait (bounded) until they answer, keep their output in a
temporary log file (never a pipe a chatty process could fill and block on), and always
stop what they started. ``free_port`` hands out a local TCP port.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
GUNICORN = os.path.join(BIN, "gunicorn")
FLASK = os.path.join(BIN, "flask")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listens(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        return True
    except OSError:
        return False


class _Process:
    """A child process with its output in a temporary file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, environ: dict, prefix: str):
        self.env = dict(os.environ)
        self.env.update({k: str(v) for k, v in environ.items()})
        self.log = tempfile.NamedTemporaryFile(prefix=prefix, suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    def _spawn(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def _wait_ready(self, ready, what: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                output = self.output()
                self.stop()
                raise AssertionError(f"{what} exited with {self.proc.returncode}:\n{output}")
            if ready():
                return
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise AssertionError(f"{what} did not start within {timeout:.0f}s:\n{output}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.path.exists(self.log.name):
            self.log.close()
            os.unlink(self.log.name)

    def __exit__(self, *exc) -> None:
        self.stop()

    def output(self) -> str:
        if not os.path.exists(self.log.name):
            return ""
        with open(self.log.name, errors="replace") as handle:
            return handle.read()


class Gunicorn(_Process):
    """``gunicorn -c gunicorn.conf.py wsgi:app`` on 127.0.0.1 (``port`` or a free one)."""

    def __init__(self, environ: dict, workers: int = 3, threads: int | None = None, log_level: str = "INFO",
                 port: int | None = None):
        super().__init__(environ, "gunicorn-")
        self.port = port or free_port()
        self.env.update(PU_WORKER_COUNT=str(workers), PU_BIND=f"127.0.0.1:{self.port}", PU_LOG_LEVEL=log_level)
        if threads is not None:  # otherwise the production default (PU_WORKER_THREADS)
            self.env["PU_WORKER_THREADS"] = str(threads)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        try:
            return requests.get(self.url + "/pepeunit", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def __enter__(self) -> "Gunicorn":
        self._spawn([GUNICORN, "-c", "gunicorn.conf.py", "wsgi:app"])
        self._wait_ready(self._answers, "gunicorn")
        return self

    def worker_pids(self) -> set[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return {int(p) for p in out.stdout.split()}


class DevBroker(_Process):
    """``flask devbroker`` on 127.0.0.1 (``port`` or a free one), deciding through ``hook_url``.

    The hook may come up later than the broker: until it answers, every request is denied.
    """

    def __init__(self, environ: dict, hook_url: str, port: int | None = None, log_level: str = "INFO"):
        super().__init__({**environ, "PU_LOG_LEVEL": log_level}, "devbroker-")
        self.port = port or free_port()
        self.hook_url = hook_url

    def _listens(self) -> bool:
        return listens(self.port)

    def __enter__(self) -> "DevBroker":
        self._spawn([FLASK, "--app", "wsgi", "devbroker", "--bind", f"127.0.0.1:{self.port}",
                     "--hook-url", self.hook_url])
        self._wait_ready(self._listens, "dev broker", timeout=20)
        return self


@contextlib.contextmanager
def backend_with_dev_broker(environ: dict, workers: int = 2, threads: int | None = None):
    """The app under gunicorn and the dev broker asking its hook, on a free MQTT port:
    yields ``(mqtt_port, server)``. ``environ`` is a test environment (``make_test_environ``)."""
    port = free_port()
    env = {**environ, "PU_MQTT_PORT": port, "PU_LEADER_LEASE_SECONDS": 2}
    with Gunicorn(env, workers=workers, threads=threads) as server, DevBroker(env, server.url + "/pepeunit/api/v1/units/auth", port):
        yield port, server


MOSQUITTO = "/usr/sbin/mosquitto"


class Mosquitto(_Process):
    """A private Mosquitto 2 on ``port`` (or a free one): anonymous, in memory, queues unbounded.

    Shared-subscription tests need their own broker: a dead member's session keeps getting its
    share of messages until it is drained, and the shared 1883 broker's queue limit (1000) would drop
    them; other test runs' groups stay apart too."""

    def __init__(self, port: int | None = None):
        super().__init__({}, "mosquitto-")
        self.port = port or free_port()
        self.conf = tempfile.NamedTemporaryFile("w", prefix="mosquitto-", suffix=".conf", delete=False)
        self.conf.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_queued_messages 0\nmax_inflight_messages 0\nlog_type error\n")
        self.conf.close()

    def _listens(self) -> bool:
        return listens(self.port)

    def __enter__(self) -> "Mosquitto":
        self._spawn([MOSQUITTO, "-c", self.conf.name])
        self._wait_ready(self._listens, "mosquitto", timeout=10)
        return self

    def stop(self) -> None:
        super().stop()
        if os.path.exists(self.conf.name):
            os.unlink(self.conf.name)
