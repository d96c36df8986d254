"""``syncDashboard``: build the dashboard JSON and upload it into the owner's Grafana org.

What the owner must fix (no panels, a node without a running pipe) is refused with a
``GrafanaError`` and nothing changes. Then the dashboard is marked ``Processing`` (committed,
so a concurrent reader sees it; v1.2 never stored it, Q22), the org is ensured (and repaired)
and the JSON uploaded; any Grafana failure ends as ``Error`` with its text in ``sync_error``,
success as ``Success`` with Grafana's url and version. Never a 500 for Grafana's sake.
"""
from __future__ import annotations

from ...errors import DataPipeError, GrafanaError
from ...extensions import db, get_settings
from ...models import Dashboard, DashboardStatus, User
from ...models.columns import utcnow
from ..agents import Agent
from ..lookup import get_or_not_found
from .api_client import GrafanaApi, GrafanaApiError
from .dashboard_json import dashboard_body, probe
from .dashboards import own_dashboard, panel_views
from .datasource import node_config
from .orgs import ensure_org


def _probes(panels) -> dict:
    if not panels:
        raise GrafanaError("Dashboard does not have Panels")
    probes = {}
    for panel in panels:
        for item in panel.unit_nodes_for_panel:
            node = item.unit_node
            if not node.is_data_pipe_active:
                raise GrafanaError(f"{item.unit_with_unit_node_name} has no active DataPipe")
            try:
                node_config(node)
            except DataPipeError:
                raise GrafanaError(f"{item.unit_with_unit_node_name} has no valid yml DataPipe") from None
            probes[item.link.uuid] = probe(item)
    return probes


def sync_dashboard(agent: Agent, uuid) -> Dashboard:
    dashboard = own_dashboard(agent, uuid)
    panels = panel_views(dashboard.uuid)
    probes = _probes(panels)
    user = get_or_not_found(User, agent.uuid)
    dashboard.sync_status, dashboard.sync_error = DashboardStatus.PROCESSING, None
    dashboard.sync_last_datetime = utcnow()
    db.session.commit()
    settings = get_settings()
    api = GrafanaApi(settings)
    try:
        setup = ensure_org(user, api)
        answer = api.upload_dashboard(setup.org_id, dashboard_body(dashboard, panels, probes,
                                                                   setup.datasource_uid, settings))
    except GrafanaApiError as exc:
        dashboard.sync_status, dashboard.sync_error = DashboardStatus.ERROR, str(exc)
    else:
        dashboard.dashboard_url, dashboard.inc_last_version = str(answer["url"]), int(answer["version"])
        dashboard.sync_status = DashboardStatus.SUCCESS
    db.session.commit()
    return dashboard
