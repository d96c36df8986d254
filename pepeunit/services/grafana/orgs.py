"""Each user's own Grafana organisation, with the user in it as Editor and an ``InfinityAPI``
datasource pointing at our datasource endpoint (datapipe-grafana.md §7.2).

``ensure_org`` is idempotent and repairs both half states v1.2 left alone (Q21): an org id
stored here that Grafana no longer has is recreated, and an org Grafana has under the user's
org name but that we never stored is adopted. It looks the org up by name instead of paging
through every org.
"""
from __future__ import annotations

import logging
import secrets
import string
from dataclasses import dataclass

from ...extensions import db, get_settings
from ...models import User
from .api_client import GrafanaApi, GrafanaApiError

log = logging.getLogger(__name__)

DATASOURCE_NAME = "InfinityAPI"
DATASOURCE_TYPE = "yesoreyeram-infinity-datasource"
ORG_ROLE = "Editor"
_PASSWORD_SYMBOLS = string.ascii_letters + string.digits


@dataclass(frozen=True)
class OrgSetup:
    org_id: int
    datasource_uid: str


def datasource_body(settings) -> dict:
    return {
        "name": DATASOURCE_NAME,
        "type": DATASOURCE_TYPE,
        "access": "proxy",
        "url": f"{settings.link_prefix_and_v1}/grafana/datasource/",
        "jsonData": {"auth_method": None, "customHealthCheckEnabled": True,
                     "customHealthCheckUrl": settings.link_prefix},
    }


def ensure_org(user: User, api: GrafanaApi | None = None) -> OrgSetup:
    """The user's org, membership and datasource exist in Grafana and ``grafana_org_id`` names the org.

    Commits the user row when its ``grafana_org_id`` changed. Raises ``GrafanaApiError``.
    """
    settings = get_settings()
    api = api or GrafanaApi(settings)
    name = str(user.grafana_org_name)
    org_id = None
    if user.grafana_org_id and user.grafana_org_id.isdigit() and api.org_exists(int(user.grafana_org_id)):
        org_id = int(user.grafana_org_id)
    if org_id is None:
        org_id = api.find_org(name) or api.create_org(name)
    password = "".join(secrets.choice(_PASSWORD_SYMBOLS) for _ in range(16))  # login is through Pepeunit only
    api.create_user(user.login, password)
    api.add_org_user(org_id, user.login, ORG_ROLE)
    uid = api.datasource_uid(org_id, DATASOURCE_NAME) or api.create_datasource(org_id, datasource_body(settings))
    if user.grafana_org_id != str(org_id):
        user.grafana_org_id = str(org_id)
        db.session.commit()
    return OrgSetup(org_id, uid)


def ensure_org_quietly(user: User) -> None:
    """After sign-up: try to set the org up; a Grafana outage is logged, and repaired at the next
    login into Grafana or dashboard sync, instead of failing the sign-up."""
    try:
        ensure_org(user)
    except GrafanaApiError as exc:
        log.warning("Grafana org of user %s not set up yet: %s", user.uuid, exc)
