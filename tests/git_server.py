"""Real unit repositories served over HTTP by ``git http-backend``, for any test.

Nothing here talks to the internet and nothing is mocked: the repositories are
made with the git CLI and served by git's own smart-HTTP backend behind a tiny
threaded HTTP server on 127.0.0.1.

Layout served by one :class:`GitHttpServer` (one per test session):

- ``http://127.0.0.1:<port>/public/<name>.git``  — open to anyone;
- ``http://127.0.0.1:<port>/private/<name>.git`` — HTTP basic auth with
  ``server.username`` / ``server.password`` (the "PAT"), else 401;
- the GitHub releases API under ``/github-api`` (the tests' ``PU_GITHUB_API_URL``) and
  GitLab's under ``/api/v4/projects/…`` for the same repositories (``server.releases``,
  see ``tests/releases_standin.py``).

Use from a test (the fixtures live in ``tests/conftest.py``)::

    from tests.git_server import make_unit_repo

    def test_x(git_server, repo_cache):
        repo = make_unit_repo(git_server, "weather")          # standard layout, see below
        repo.commit("more", {"main.py": "print(2)"}); repo.push()

Fixtures:

- ``git_server`` (session): the running :class:`GitHttpServer`.
- ``repo_cache`` (function): a :class:`RepoCache`; points ``PU_SAVE_REPO_PATH`` of
  the app at a fresh temporary folder (``repo_cache.path``); ``repo_cache.limit_mb(n)``
  lowers ``PU_MAX_EXTERNAL_REPO_SIZE`` and ``repo_cache.min_sync_interval(s)`` sets
  ``PU_MIN_INTERVAL_SYNC_REPOSITORY`` for the test only.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path

from tests.helpers import git
from tests.releases_standin import ReleasesApi

VALID_SCHEMA = {
    "input_base_topic": ["update/pepeunit", "env_update/pepeunit", "schema_update/pepeunit", "log_sync/pepeunit"],
    "output_base_topic": ["state/pepeunit", "log/pepeunit"],
    "input_topic": ["input/pepeunit", "set_speed"],
    "output_topic": ["temperature/pepeunit", "humidity"],
}
VALID_ENV = {"PU_DOMAIN": "unit.example.com", "PU_AUTH_TOKEN": "", "WIFI_SSID": "ssid", "WIFI_PASS": "pass"}


# --------------------------------------------------------------------------- server
class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, headers: dict, body: bytes | list) -> None:
        """``body``: bytes, or a list of byte chunks written ``chunk_pause`` seconds apart."""
        chunks = body if isinstance(body, list) else [body]
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
            self.end_headers()
            for index, chunk in enumerate(chunks):
                if index:
                    self.wfile.flush()
                    time.sleep(self.server.owner.releases.chunk_pause)
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first (timeout tests): expected

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        body = self._body()
        self.server.owner.requests += 1
        releases = self.server.owner.releases
        if releases.answers(path):
            self._send(*releases.answer(self.command, path, query, self.headers))
            return
        if path.startswith("/private/"):
            expected = base64.b64encode(f"{self.server.owner.username}:{self.server.owner.password}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._send(401, {"WWW-Authenticate": 'Basic realm="git"'}, b"auth required\n")
                return
        env = {
            **os.environ,
            "GIT_PROJECT_ROOT": str(self.server.owner.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, sep, payload = done.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers[name.strip()] = value.strip()
        self._send(status, headers, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "GitHttpServer"


class GitHttpServer:
    """Smart-HTTP git server over the bare repositories under ``root``.

    ``username``/``password`` guard every path under ``/private/``;
    ``requests`` counts the HTTP requests served (handy to prove a cache hit).
    """

    def __init__(self, root: Path, username: str = "git-user", password: str = "pat-secret-0123456789"):
        self.root = Path(root)
        (self.root / "public").mkdir(parents=True, exist_ok=True)
        (self.root / "private").mkdir(parents=True, exist_ok=True)
        self.username, self.password = username, password
        self.requests = 0
        self.releases = ReleasesApi(self)  # GitHub / GitLab releases API stand-in (tests/releases_standin.py)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> "GitHttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, name: str, private: bool = False) -> str:
        """Clone URL of the served repository ``name`` (ends in ``.git`` as Pepeunit requires)."""
        return f"http://127.0.0.1:{self.port}/{'private' if private else 'public'}/{name}.git"

    def bare_path(self, name: str, private: bool = False) -> Path:
        return self.root / ("private" if private else "public") / f"{name}.git"


def unreachable_url() -> str:
    """An http URL on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/public/nothing.git"


# ----------------------------------------------------------------------- repositories
_names = count()


class UnitRepo:
    """A working copy whose pushes land in a repository served by ``server``.

    ``commits`` maps the labels given to :meth:`commit` to their shas.
    """

    def __init__(self, server: GitHttpServer, name: str, private: bool = False, work_root: Path | None = None):
        self.server, self.name, self.private = server, name, private
        self.bare = server.bare_path(name, private)
        self.url = server.url(name, private)
        self.work = (work_root or server.root / "work") / f"{name}-{'private' if private else 'public'}"
        self.work.mkdir(parents=True)
        git(self.bare.parent, "init", "-q", "--bare", "-b", "main", self.bare.name)
        git(self.work, "init", "-q", "-b", "main")
        git(self.work, "remote", "add", "origin", str(self.bare))
        self.commits: dict[str, str] = {}

    def write(self, files: dict[str, str | bytes | dict | None]) -> None:
        """Write files into the work tree: dicts become JSON, ``None`` deletes the file."""
        for path, content in files.items():
            target = self.work / path
            if content is None:
                if target.exists():
                    git(self.work, "rm", "-q", path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, dict) or isinstance(content, list):
                content = json.dumps(content, indent=2)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)

    def commit(self, label: str, files: dict | None = None) -> str:
        """Write ``files`` and commit them on the current branch with message ``label``; return the sha."""
        if files:
            self.write(files)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "--allow-empty", "-m", label)
        sha = git(self.work, "rev-parse", "HEAD")
        self.commits[label] = sha
        return sha

    def tag(self, name: str, commit: str = "HEAD", annotated: bool = False) -> None:
        if annotated:
            git(self.work, "tag", "-a", name, commit, "-m", f"release {name}")
        else:
            git(self.work, "tag", name, commit)

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create branch ``name`` at ``start`` and switch to it."""
        git(self.work, "checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        git(self.work, "checkout", "-q", name)

    def delete_branch(self, name: str) -> None:
        git(self.work, "branch", "-q", "-D", name)

    def head(self, branch: str = "main") -> str:
        return git(self.work, "rev-parse", f"refs/heads/{branch}")

    def push(self) -> None:
        """Make the served repository an exact mirror of the work repo (branches and tags)."""
        git(self.work, "push", "-q", "--force", "--mirror", "origin")


def make_unit_repo(server: GitHttpServer, name: str | None = None, private: bool = False) -> UnitRepo:
    """A pushed unit repository with a known history.

    ``main``: ``c1`` (valid files, tag ``v0.1.0``) → ``c2`` (annotated tag
    ``v0.2.0``) → ``c3`` (untagged head).
    ``dev`` (from ``c2``): ``dev1`` with a changed env_example.json, untagged.
    ``broken`` (from ``c1``): ``no-env`` (env_example.json deleted, tag
    ``v0.1.1-broken``) → ``bad-json`` (schema_example.json is not JSON) →
    ``bad-keys`` (schema lacks keys).
    """
    name = name or f"unit-repo-{os.getpid()}-{next(_names)}"
    repo = UnitRepo(server, name, private)
    repo.commit("c1", {"schema_example.json": VALID_SCHEMA, "env_example.json": VALID_ENV,
                       "main.py": "print('v1')\n", "readme.md": "# unit\n"})
    repo.tag("v0.1.0")
    repo.commit("c2", {"main.py": "print('v2')\n"})
    repo.tag("v0.2.0", annotated=True)
    repo.commit("c3", {"main.py": "print('v3')\n"})
    repo.branch("dev", repo.commits["c2"])
    repo.commit("dev1", {"env_example.json": {**VALID_ENV, "NEW_KEY": "x"}})
    repo.branch("broken", repo.commits["c1"])
    repo.commit("no-env", {"env_example.json": None})
    repo.tag("v0.1.1-broken")
    repo.commit("bad-json", {"schema_example.json": "{not json"})
    repo.commit("bad-keys", {"schema_example.json": {"input_topic": []}})
    repo.checkout("main")
    repo.push()
    return repo


class RepoCache:
    """The temporary ``PU_SAVE_REPO_PATH`` of one test (``.path``) plus settings knobs."""

    def __init__(self, app, monkeypatch, path: Path):
        self._app, self._monkeypatch, self.path = app, monkeypatch, path
        self._set(PU_SAVE_REPO_PATH=str(path))

    def limit_mb(self, megabytes: int) -> None:
        self._set(PU_MAX_EXTERNAL_REPO_SIZE=megabytes)

    def min_sync_interval(self, seconds: int) -> None:
        self._set(PU_MIN_INTERVAL_SYNC_REPOSITORY=seconds)

    def clones(self) -> list[str]:
        """Names of the entries in the folder (registry uuids; staging leftovers would show too)."""
        return sorted(p.name for p in self.path.iterdir()) if self.path.exists() else []

    def _set(self, **values) -> None:
        self._monkeypatch.setitem(self._app.config, "PU_SETTINGS",
                                  dataclasses.replace(self._app.config["PU_SETTINGS"], **values))
