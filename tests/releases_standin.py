"""Stand-in for the GitHub and GitLab releases APIs, served by the test git server.

It follows the documented contracts and CHECKS what it receives:

- GitHub (``{server}/github-api``, the test's ``PU_GITHUB_API_URL``):
  ``GET /repos/{owner}/{repo}/releases?per_page&page``; needs ``Accept:
  application/vnd.github+json`` and a ``User-Agent`` (else 400 / 403, as GitHub);
  ``Authorization: Bearer <token>`` (or ``token <token>``). A bad token is 401, a private
  repository without a good one is 404 (GitHub hides it). Pages carry ``Link: rel="next"``.
  Rate limit: 403 with ``X-RateLimit-Remaining: 0``.
- GitLab (the repository's own host): ``GET /api/v4/projects/{url-encoded path}/releases``;
  an unencoded ``/`` in the project id is 404, as GitLab. ``PRIVATE-TOKEN: <token>``: bad
  is 401, missing on a private project is 404. Pages carry ``X-Page``, ``X-Next-Page``,
  ``X-Total-Pages`` and (unless ``gitlab_link_header`` is off) ``Link``. Rate limit: 429.

Repositories are those of the git server (``public/<name>`` and ``private/<name>``); one
without releases answers ``[]``, one that does not exist 404. ``modes[(private, name)]``
turns a repository into an error case: ``"error500"``, ``"ratelimit"``, ``"malformed"``
(truncated JSON), ``"wrong-shape"`` (an object instead of a list), ``"slow"`` (answers
after ``slow_seconds``), ``"trickle"`` (a valid page sent one byte every ``chunk_pause``
seconds), ``"slow-pages"`` (each page after ``chunk_pause``), ``"huge"`` (a valid page of ``huge_bytes``) or ``"foreign-next"`` (a next page on
another host).
Every call is recorded in ``calls`` (platform, path, query, headers).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

GITHUB_PREFIX = "/github-api"
GITLAB_PREFIX = "/api/v4/projects/"


@dataclass
class Release:
    tag: str
    assets: list  # [(name, url)]: GitHub assets, GitLab asset links


@dataclass
class ReleasesApi:
    server: object  # the GitHttpServer
    releases: dict = field(default_factory=dict)  # (private, name) -> [Release], newest first
    modes: dict = field(default_factory=dict)
    instance_tokens: set = field(default_factory=set)  # tokens valid for public GitHub calls only
    max_page_size: int = 2
    slow_seconds: float = 3.0
    chunk_pause: float = 0.3
    huge_bytes: int = 64 * 1024
    gitlab_link_header: bool = True
    calls: list = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()

    @property
    def github_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{GITHUB_PREFIX}"

    def publish(self, repo, tag: str, assets: list) -> None:
        """A release of ``repo`` (a ``UnitRepo``) at ``tag`` with ``[(name, url)]`` assets."""
        self.releases.setdefault((repo.private, repo.name), []).insert(0, Release(tag, list(assets)))

    def calls_for(self, platform: str) -> list:
        with self._lock:
            return [c for c in self.calls if c["platform"] == platform]

    def answers(self, path: str) -> bool:
        return path.startswith(GITHUB_PREFIX + "/") or path.startswith(GITLAB_PREFIX)

    # ------------------------------------------------------------------ dispatch
    def answer(self, method: str, path: str, query: str, headers) -> tuple[int, dict, bytes]:
        platform = "Github" if path.startswith(GITHUB_PREFIX) else "Gitlab"
        with self._lock:
            self.calls.append({"platform": platform, "path": path, "query": query, "headers": dict(headers)})
        if method != "GET":
            return _json(405, {"message": "Method Not Allowed"})
        if platform == "Github":
            return self._github(path[len(GITHUB_PREFIX):], parse_qs(query), headers)
        return self._gitlab(path, parse_qs(query), headers)

    def _repository(self, kind: str, name: str):
        if kind not in ("public", "private") or not self.server.bare_path(name, kind == "private").exists():
            return None
        return kind == "private", name

    def _page(self, key, query, default_size: int):
        try:
            per_page = int(query.get("per_page", [default_size])[0])
            page = int(query.get("page", ["1"])[0])
        except ValueError:
            return None
        if not 1 <= per_page <= 100 or page < 1:
            return None
        size = min(per_page, self.max_page_size)
        everything = self.releases.get(key, [])
        total_pages = max(1, -(-len(everything) // size))
        return everything[(page - 1) * size:page * size], page, per_page, total_pages

    def _special(self, key, rate_limited: tuple[int, dict, bytes]):
        mode = self.modes.get(key)
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if mode == "slow-pages":  # every page in time, all of them not
            time.sleep(self.chunk_pause)
        if mode == "error500":
            return 500, {"Content-Type": "application/json"}, b'{"message": "Server Error"}'
        if mode == "ratelimit":
            return rate_limited
        if mode == "malformed":
            return 200, {"Content-Type": "application/json"}, b'[{"tag_name": "v1", "assets": ['
        if mode == "wrong-shape":
            return _json(200, {"releases": []})
        if mode == "trickle":
            return 200, {"Content-Type": "application/json"}, [bytes([b]) for b in b"[    ]"]
        if mode == "huge":
            return 200, {"Content-Type": "application/json"}, b"[" + b" " * self.huge_bytes + b"]"
        return None

    # ------------------------------------------------------------------- GitHub
    def _github(self, path: str, query: dict, headers) -> tuple[int, dict, bytes]:
        if not headers.get("User-Agent"):
            return _json(403, {"message": "Request forbidden by administrative rules. Please make sure your "
                                          "request has a User-Agent header"})
        if "application/vnd.github" not in (headers.get("Accept") or ""):
            return _json(400, {"message": "this stand-in expects Accept: application/vnd.github+json"})
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "repos" or parts[3] != "releases":
            return _json(404, {"message": "Not Found"})
        key = self._repository(parts[1], parts[2])
        token = _bearer(headers.get("Authorization"))
        if token is not None and token != self.server.password and token not in self.instance_tokens:
            return _json(401, {"message": "Bad credentials"})
        if key is None or (key[0] and token != self.server.password):
            return _json(404, {"message": "Not Found"})
        special = self._special(key, (403, {"Content-Type": "application/json", "X-RateLimit-Limit": "60",
                                            "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1893456000"},
                                      b'{"message": "API rate limit exceeded for 127.0.0.1."}'))
        if special:
            return special
        paged = self._page(key, query, 30)
        if paged is None:
            return _json(422, {"message": "Validation Failed"})
        releases, page, per_page, total = paged
        base = f"{self.github_url}/{path.strip('/')}"
        links = []
        if page < total:
            links.append(f'<{self._next(key, base, per_page, page)}>; rel="next"')
            links.append(f'<{base}?per_page={per_page}&page={total}>; rel="last"')
        body = [{
            "id": 1000 + index, "tag_name": release.tag, "name": f"Release {release.tag}", "draft": False,
            "prerelease": False, "tarball_url": f"{base}/tarball/{release.tag}",
            "assets": [{"id": 5000 + n, "name": name, "browser_download_url": url, "state": "uploaded",
                        "content_type": "application/octet-stream", "size": 1024} for n, (name, url)
                       in enumerate(release.assets)],
        } for index, release in enumerate(releases)]
        status, extra, payload = _json(200, body)
        if links:
            extra["Link"] = ", ".join(links)
        return status, extra, payload

    # ------------------------------------------------------------------- GitLab
    def _gitlab(self, path: str, query: dict, headers) -> tuple[int, dict, bytes]:
        rest = path[len(GITLAB_PREFIX):]
        project, _, tail = rest.partition("/")
        if tail != "releases" or "%2F" not in project.upper():
            return _json(404, {"message": "404 Project Not Found"})
        kind, _, name = unquote(project).partition("/")
        key = self._repository(kind, name)
        token = headers.get("PRIVATE-TOKEN")
        if token is not None and token != self.server.password:
            return _json(401, {"message": "401 Unauthorized"})
        if key is None or (key[0] and token != self.server.password):
            return _json(404, {"message": "404 Project Not Found"})
        special = self._special(key, (429, {"Content-Type": "text/plain", "RateLimit-Remaining": "0",
                                            "Retry-After": "60"}, b"Retry later\n"))
        if special:
            return special
        paged = self._page(key, query, 20)
        if paged is None:
            return _json(400, {"message": "400 Bad request - page is invalid"})
        releases, page, per_page, total = paged
        host = f"http://127.0.0.1:{self.server.port}"
        web = f"{host}/{kind}/{name}"
        body = [{
            "tag_name": release.tag, "name": release.tag, "description": "",
            "assets": {
                "count": 4 + len(release.assets),
                "sources": [{"format": fmt, "url": f"{web}/-/archive/{release.tag}/{name}-{release.tag}.{fmt}"}
                            for fmt in ("zip", "tar.gz", "tar.bz2", "tar")],
                "links": [{"id": 7000 + n, "name": link_name, "url": url, "direct_asset_url": url,
                           "link_type": "other"} for n, (link_name, url) in enumerate(release.assets)],
            },
        } for release in releases]
        status, extra, payload = _json(200, body)
        extra.update({"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total-Pages": str(total),
                      "X-Next-Page": str(page + 1) if page < total else ""})
        if page < total and self.gitlab_link_header:
            extra["Link"] = f'<{self._next(key, host + path, per_page, page)}>; rel="next"'
        return status, extra, payload

    def _next(self, key, base: str, per_page: int, page: int) -> str:
        if self.modes.get(key) == "foreign-next":
            base = base.replace("127.0.0.1", "localhost", 1)
        return f"{base}?per_page={per_page}&page={page + 1}"


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token if scheme in ("Bearer", "token") and token else ""


def _json(status: int, body) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()
