"""A local stand-in for the Grafana HTTP API, following Grafana's documentation for the calls the
backend makes (datapipe-grafana.md §7.2): organisations, admin users, org users, datasources and
``dashboards/db``.

It keeps state (users, orgs and their members, datasources per org, dashboards per org with
versions) and CHECKS what it receives: HTTP Basic credentials of the server admin on every call
(else 401), ``Content-Type: application/json`` on every body, the exact key set and value types
of every body, and ``X-Grafana-Org-Id`` on the per-org calls (datasources, dashboards), which
must name an org the admin belongs to (Grafana: 401 otherwise). A dashboard's panel and query
datasources must be datasources of the org it is saved into. Every refusal made because the
backend sent something wrong is also kept in ``problems``, so a test asserts it stays empty.

``fail(method, path_prefix, status)`` makes matching calls fail; ``calls`` records every call.
"""
from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import uuid as uuid_module
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from ..processes import free_port

ADMIN_USER = "grafana-admin"
ADMIN_PASSWORD = "grafana-admin-password"
ROLES = ("Viewer", "Editor", "Admin")


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    body: object


@dataclass
class Org:
    id: int
    name: str
    members: dict = field(default_factory=dict)       # login -> role
    datasources: dict = field(default_factory=dict)   # name -> datasource json
    dashboards: dict = field(default_factory=dict)    # uid -> {"dashboard", "version", "url"}


class Refused(Exception):
    def __init__(self, status: int, message: str, problem: bool = True):
        super().__init__(message)
        self.status, self.message, self.problem = status, message, problem


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _require_keys(body, required: dict, optional: dict | None = None, where: str = "body") -> None:
    """``required``/``optional``: key -> accepted type(s); unknown keys are refused too."""
    if not isinstance(body, dict):
        raise Refused(400, f"{where} must be a JSON object")
    optional = optional or {}
    unknown = set(body) - set(required) - set(optional)
    if unknown:
        raise Refused(400, f"{where} has unknown keys {sorted(unknown)}")
    for key in required:
        if key not in body:
            raise Refused(400, f"{where} misses {key}")
    for key, kind in {**required, **optional}.items():
        if key in body and not isinstance(body[key], kind):
            raise Refused(400, f"{where}.{key} has the wrong type")


class GrafanaStandIn:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self.failures: list[tuple[str, str, int]] = []
        self.reset()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- control ---------------------------------------------------------------------------
    def start(self) -> "GrafanaStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.calls, self.problems, self.failures = [], [], []
            self._ids = itertools.count(2)
            self.users = {ADMIN_USER: {"id": 1, "login": ADMIN_USER, "email": "admin@localhost", "name": ""}}
            self.orgs = {1: Org(1, "Main Org.", {ADMIN_USER: "Admin"})}

    def fail(self, method: str, path_prefix: str, status: int) -> None:
        self.failures.append((method, path_prefix, status))

    def org_named(self, name: str) -> Org | None:
        return next((o for o in self.orgs.values() if o.name == name), None)

    def add_org(self, name: str) -> Org:
        """An org made behind the backend's back (what Grafana has but we may not have stored)."""
        org = Org(next(self._ids), name, {ADMIN_USER: "Admin"})
        self.orgs[org.id] = org
        return org

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    # --- HTTP --------------------------------------------------------------------------------
    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urlsplit(self.path).path
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                with standin.lock:
                    standin.calls.append(Call(method, path, dict(self.headers.items()), body))
                    try:
                        status, answer = standin._dispatch(method, path, dict(self.headers.items()), raw, body)
                    except Refused as refused:
                        if refused.problem:
                            standin.problems.append(f"{method} {path}: {refused.message}")
                        status, answer = refused.status, {"message": refused.message}
                self._answer(status, answer)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler

    def _dispatch(self, method, path, headers, raw, body):
        expected = "Basic " + base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
        if headers.get("Authorization") != expected:
            raise Refused(401, "Invalid username or password")
        for fail_method, prefix, status in self.failures:
            if fail_method == method and path.startswith(prefix):
                raise Refused(status, "Internal Server Error (stand-in failure)", problem=False)
        if raw and headers.get("Content-Type", "").split(";")[0] != "application/json":
            raise Refused(415, "Content-Type must be application/json")
        for pattern, verb, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return handler(headers, body, *[unquote(g) for g in match.groups()])
        raise Refused(404, f"no such endpoint {method} {path}")

    def _routes(self):
        return (
            (r"/api/orgs", "POST", self._create_org),
            (r"/api/orgs/name/([^/]+)", "GET", self._org_by_name),
            (r"/api/orgs/(\d+)", "GET", self._org_by_id),
            (r"/api/orgs/(\d+)/users", "POST", self._add_org_user),
            (r"/api/admin/users", "POST", self._create_user),
            (r"/api/datasources/name/([^/]+)", "GET", self._datasource_by_name),
            (r"/api/datasources", "POST", self._create_datasource),
            (r"/api/dashboards/db", "POST", self._save_dashboard),
        )

    def _org_of_header(self, headers) -> Org:
        value = headers.get("X-Grafana-Org-Id")
        if value is None or not value.isdigit():
            raise Refused(400, "X-Grafana-Org-Id header is required for this call")
        org = self.orgs.get(int(value))
        if org is None or ADMIN_USER not in org.members:
            raise Refused(401, "User is not a member of the organization")
        return org

    @staticmethod
    def _org_json(org: Org) -> dict:
        return {"id": org.id, "name": org.name, "address": {"address1": "", "address2": "", "city": "",
                                                             "zipCode": "", "state": "", "country": ""}}

    # --- orgs --------------------------------------------------------------------------------
    def _create_org(self, headers, body):
        _require_keys(body, {"name": str})
        if self.org_named(body["name"]):
            raise Refused(409, "Organization name taken", problem=False)
        org = self.add_org(body["name"])
        return 200, {"orgId": org.id, "message": "Organization created"}

    def _org_by_name(self, headers, body, name):
        org = self.org_named(name)
        if org is None:
            raise Refused(404, "Organization not found", problem=False)
        return 200, self._org_json(org)

    def _org_by_id(self, headers, body, org_id):
        org = self.orgs.get(int(org_id))
        if org is None:
            raise Refused(404, "Organization not found", problem=False)
        return 200, self._org_json(org)

    # --- users -------------------------------------------------------------------------------
    def _create_user(self, headers, body):
        _require_keys(body, {"name": str, "email": str, "login": str, "password": str}, {"OrgId": int})
        if len(body["password"]) < 4:
            raise Refused(400, "Password is too short")
        if body["login"] in self.users or any(u["email"] == body["email"] for u in self.users.values()):
            raise Refused(412, "User with same login or email already exists", problem=False)
        user = {"id": next(self._ids), "login": body["login"], "email": body["email"], "name": body["name"]}
        self.users[body["login"]] = user
        return 200, {"id": user["id"], "message": "User created"}

    def _add_org_user(self, headers, body, org_id):
        _require_keys(body, {"loginOrEmail": str, "role": str})
        if body["role"] not in ROLES:
            raise Refused(400, f"Invalid role {body['role']}")
        org = self.orgs.get(int(org_id))
        if org is None:
            raise Refused(404, "Organization not found")
        user = self.users.get(body["loginOrEmail"]) or next(
            (u for u in self.users.values() if u["email"] == body["loginOrEmail"]), None)
        if user is None:
            raise Refused(404, "User not found")
        if user["login"] in org.members:
            raise Refused(409, "User is already member of this organization", problem=False)
        org.members[user["login"]] = body["role"]
        return 200, {"message": "User added to organization", "userId": user["id"]}

    # --- datasources -------------------------------------------------------------------------
    def _datasource_by_name(self, headers, body, name):
        org = self._org_of_header(headers)
        if name not in org.datasources:
            raise Refused(404, "Data source not found", problem=False)
        return 200, org.datasources[name]

    def _create_datasource(self, headers, body):
        org = self._org_of_header(headers)
        _require_keys(body, {"name": str, "type": str, "access": str, "url": str},
                      {"jsonData": dict, "basicAuth": bool, "isDefault": bool, "secureJsonData": dict})
        if body["access"] not in ("proxy", "direct"):
            raise Refused(400, "access must be proxy or direct")
        if body["name"] in org.datasources:
            raise Refused(409, "data source with the same name already exists", problem=False)
        source = {"id": next(self._ids), "uid": uuid_module.uuid4().hex[:14], "orgId": org.id, **body}
        org.datasources[body["name"]] = source
        return 200, {"datasource": source, "id": source["id"], "message": "Datasource added", "name": body["name"]}

    # --- dashboards --------------------------------------------------------------------------
    def _check_datasource_ref(self, org: Org, ref, where: str) -> None:
        uids = {d["uid"] for d in org.datasources.values()}
        names = set(org.datasources)
        if isinstance(ref, dict):
            if ref.get("uid") not in uids:
                raise Refused(400, f"{where} names datasource uid {ref.get('uid')} unknown in org {org.id}")
        elif ref not in names:
            raise Refused(400, f"{where} names datasource {ref!r} unknown in org {org.id}")

    def _save_dashboard(self, headers, body):
        org = self._org_of_header(headers)
        _require_keys(body, {"dashboard": dict}, {"overwrite": bool, "folderUid": str, "message": str,
                                                 "folderId": int})
        dashboard = body["dashboard"]
        if not isinstance(dashboard.get("title"), str) or not dashboard["title"].strip():
            raise Refused(400, "Dashboard title cannot be empty")
        if not isinstance(dashboard.get("panels", []), list):
            raise Refused(400, "dashboard.panels must be a list")
        for panel in dashboard.get("panels", []):
            for target in panel.get("targets", []):
                self._check_datasource_ref(org, target.get("datasource"), f"panel {panel.get('title')} target")
            if "datasource" in panel:
                self._check_datasource_ref(org, panel["datasource"], f"panel {panel.get('title')}")
        uid = dashboard.get("uid") or uuid_module.uuid4().hex[:14]
        saved = org.dashboards.get(uid)
        if saved is not None and not body.get("overwrite"):
            raise Refused(412, "The dashboard has been changed by someone else", problem=False)
        version = saved["version"] + 1 if saved else 1
        slug = _slug(dashboard["title"])
        url = f"/grafana/d/{uid}/{slug}"
        org.dashboards[uid] = {"dashboard": dashboard, "version": version, "url": url}
        return 200, {"id": next(self._ids), "uid": uid, "url": url, "status": "success", "version": version,
                     "slug": slug}
