"""Grafana's HTTP API, as the server admin (HTTP Basic ``PU_GRAFANA_ADMIN_USER``/``PASSWORD``).

Only the calls of datapipe-grafana.md §7.2 (and the lookups that make them idempotent).
Every failure (unreachable, timeout, an unexpected status) raises ``GrafanaApiError`` with a
text that is safe to store on a dashboard and show to its owner: no credentials in it.
"""
from __future__ import annotations

from urllib.parse import quote

import requests


class GrafanaApiError(Exception):
    """A Grafana call failed; ``str()`` says which call and why."""


class GrafanaApi:
    def __init__(self, settings, session: requests.Session | None = None):
        self.base = settings.grafana_url
        self.auth = (settings.PU_GRAFANA_ADMIN_USER, settings.PU_GRAFANA_ADMIN_PASSWORD)
        self.timeout = settings.PU_GRAFANA_API_TIMEOUT_SECONDS
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, *, org_id: int | None = None, body: dict | None = None,
              also_fine: tuple[int, ...] = ()) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if org_id is not None:
            headers["X-Grafana-Org-Id"] = str(org_id)
        try:
            response = self.session.request(method, self.base + path, json=body, headers=headers, auth=self.auth,
                                            timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise GrafanaApiError(f"Grafana {method} {path} failed: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {"items": answer}
        if 200 <= response.status_code < 300 or response.status_code in also_fine:
            return response.status_code, answer
        message = str(answer.get("message") or response.reason or "")[:200]
        raise GrafanaApiError(f"Grafana {method} {path} answered {response.status_code}: {message}")

    # --- organisations -----------------------------------------------------------------
    def org_exists(self, org_id: int) -> bool:
        status, _ = self._call("GET", f"/api/orgs/{org_id}", also_fine=(404,))
        return status == 200

    def find_org(self, name: str) -> int | None:
        status, answer = self._call("GET", f"/api/orgs/name/{quote(name, safe='')}", also_fine=(404,))
        return int(answer["id"]) if status == 200 else None

    def create_org(self, name: str) -> int:
        status, answer = self._call("POST", "/api/orgs", body={"name": name}, also_fine=(409,))
        if status == 409:  # created meanwhile by a concurrent request
            found = self.find_org(name)
            if found is None:
                raise GrafanaApiError(f"Grafana refused organisation {name} but does not show it")
            return found
        return int(answer["orgId"])

    # --- users -------------------------------------------------------------------------
    def create_user(self, login: str, password: str) -> None:
        """412: the user exists already (Grafana's answer for a taken login or email)."""
        self._call("POST", "/api/admin/users",
                   body={"name": login, "email": login, "login": login, "password": password}, also_fine=(412,))

    def add_org_user(self, org_id: int, login: str, role: str) -> None:
        """409: already a member."""
        self._call("POST", f"/api/orgs/{org_id}/users", body={"loginOrEmail": login, "role": role},
                   also_fine=(409,))

    # --- datasources and dashboards ----------------------------------------------------
    def datasource_uid(self, org_id: int, name: str) -> str | None:
        status, answer = self._call("GET", f"/api/datasources/name/{quote(name, safe='')}", org_id=org_id,
                                    also_fine=(404,))
        return str(answer["uid"]) if status == 200 else None

    def create_datasource(self, org_id: int, body: dict) -> str:
        status, answer = self._call("POST", "/api/datasources", org_id=org_id, body=body, also_fine=(409,))
        if status == 409:
            uid = self.datasource_uid(org_id, body["name"])
            if uid is None:
                raise GrafanaApiError(f"Grafana refused datasource {body['name']} but does not show it")
            return uid
        return str(answer["datasource"]["uid"])

    def upload_dashboard(self, org_id: int, body: dict) -> dict:
        """``{"url", "version", "uid", ...}`` of the saved dashboard."""
        _, answer = self._call("POST", "/api/dashboards/db", org_id=org_id, body=body)
        if "url" not in answer or "version" not in answer:
            raise GrafanaApiError("Grafana POST /api/dashboards/db answered without url and version")
        return answer
