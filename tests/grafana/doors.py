"""The Grafana operations over REST and over GraphQL behind one interface, so a test runs on both.

Each call answers the result (REST JSON with snake_case keys; GraphQL answers are converted to
the same keys and enum values) or the error text (REST ``detail``, GraphQL ``message``).
"""
from __future__ import annotations

import re

from pepeunit.models import DashboardPanelTypeEnum, DashboardStatus
from tests.helpers import API, auth, gql

G = f"{API}/grafana"
DASHBOARD_FIELDS = ("uuid grafanaUuid name createDatetime dashboardUrl incLastVersion syncStatus syncError "
                    "syncLastDatetime creatorUuid")
NODE_FIELDS = "unitNode { uuid topicName } isLastData isForcedToJson unitWithUnitNodeName"
PANEL_FIELDS = f"uuid type title createDatetime creatorUuid dashboardUuid unitNodesForPanel {{ {NODE_FIELDS} }}"


def snake(value):
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


class RestDoor:
    name = "rest"

    def __init__(self, client):
        self.client = client

    def _answer(self, response, ok: int):
        if response.status_code == ok:
            return response.get_json() if ok != 204 else None
        return response.get_json()["detail"]

    def create_dashboard(self, token, name):
        return self._answer(self.client.post(f"{G}/create_dashboard", json={"name": name}, headers=auth(token)), 201)

    def create_panel(self, token, dashboard_uuid, title, panel_type="timeseries"):
        return self._answer(self.client.post(f"{G}/create_dashboard_panel", headers=auth(token), json={
            "dashboard_uuid": dashboard_uuid, "title": title, "type": panel_type}), 201)

    def link(self, token, node_uuid, panel_uuid, is_forced_to_json=False, is_last_data=False):
        return self._answer(self.client.post(f"{G}/link_unit_node_to_panel", headers=auth(token), json={
            "unit_node_uuid": node_uuid, "dashboard_panels_uuid": panel_uuid, "is_last_data": is_last_data,
            "is_forced_to_json": is_forced_to_json}), 201)

    def get_dashboard(self, token, uuid):
        return self._answer(self.client.get(f"{G}/get_dashboard/{uuid}", headers=auth(token)), 200)

    def get_dashboards(self, token, **query):
        return self._answer(self.client.get(f"{G}/get_dashboards", query_string=query, headers=auth(token)), 200)

    def get_panels(self, token, uuid):
        return self._answer(self.client.get(f"{G}/get_dashboard_panels/{uuid}", headers=auth(token)), 200)

    def sync(self, token, uuid):
        return self._answer(self.client.post(f"{G}/sync_dashboard", query_string={"uuid": uuid},
                                             headers=auth(token)), 200)

    def delete_dashboard(self, token, uuid):
        return self._answer(self.client.delete(f"{G}/delete_dashboard/{uuid}", headers=auth(token)), 204)

    def delete_panel(self, token, uuid):
        return self._answer(self.client.delete(f"{G}/delete_panel/{uuid}", headers=auth(token)), 204)

    def delete_link(self, token, node_uuid, panel_uuid):
        return self._answer(self.client.delete(f"{G}/delete_link/anything", headers=auth(token), query_string={
            "unit_node_uuid": node_uuid, "dashboard_panel_uuid": panel_uuid}), 204)


class GraphqlDoor:
    name = "graphql"

    def __init__(self, client):
        self.client = client

    def _run(self, query, variables, token, field):
        body = gql(self.client, query, variables, token)
        if body.get("errors"):
            return body["errors"][0]["message"]
        return self._values(snake(body["data"][field]))

    @staticmethod
    def _values(value):
        """GraphQL enum NAMEs as REST values."""
        if isinstance(value, dict):
            out = {k: GraphqlDoor._values(v) for k, v in value.items()}
            if isinstance(out.get("sync_status"), str):
                out["sync_status"] = DashboardStatus[out["sync_status"]].value
            if isinstance(out.get("type"), str) and out["type"] in DashboardPanelTypeEnum.__members__:
                out["type"] = DashboardPanelTypeEnum[out["type"]].value
            return out
        if isinstance(value, list):
            return [GraphqlDoor._values(v) for v in value]
        return value

    def create_dashboard(self, token, name):
        return self._run(f"mutation($n: String!) {{ createDashboard(dashboard: {{name: $n}}) {{ {DASHBOARD_FIELDS} }} }}",
                         {"n": name}, token, "createDashboard")

    def create_panel(self, token, dashboard_uuid, title, panel_type="timeseries"):
        name = DashboardPanelTypeEnum(panel_type).name
        return self._run(
            "mutation($d: UUID!, $t: String!) { createDashboardPanel(dashboardPanel: "
            f"{{dashboardUuid: $d, title: $t, type: {name}}}) {{ {PANEL_FIELDS} }} }}",
            {"d": dashboard_uuid, "t": title}, token, "createDashboardPanel")

    def link(self, token, node_uuid, panel_uuid, is_forced_to_json=False, is_last_data=False):
        return self._run(
            "mutation($n: UUID!, $p: UUID!, $l: Boolean!, $j: Boolean!) { linkUnitNodeToPanel(dashboard: "
            f"{{unitNodeUuid: $n, dashboardPanelsUuid: $p, isLastData: $l, isForcedToJson: $j}}) {{ {NODE_FIELDS} }} }}",
            {"n": node_uuid, "p": panel_uuid, "l": is_last_data, "j": is_forced_to_json}, token, "linkUnitNodeToPanel")

    def get_dashboard(self, token, uuid):
        return self._run(f"query($u: UUID!) {{ getDashboard(uuid: $u) {{ {DASHBOARD_FIELDS} }} }}", {"u": uuid},
                         token, "getDashboard")

    def get_dashboards(self, token, **filters):
        camel = {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): v for k, v in filters.items()}
        return self._run(f"query($f: DashboardFilterInput!) {{ getDashboards(filters: $f) {{ count dashboards "
                         f"{{ {DASHBOARD_FIELDS} }} }} }}", {"f": camel}, token, "getDashboards")

    def get_panels(self, token, uuid):
        return self._run(f"query($u: UUID!) {{ getDashboardPanels(uuid: $u) {{ count panels {{ {PANEL_FIELDS} }} }} }}",
                         {"u": uuid}, token, "getDashboardPanels")

    def sync(self, token, uuid):
        return self._run(f"mutation($u: UUID!) {{ syncDashboard(uuid: $u) {{ {DASHBOARD_FIELDS} }} }}", {"u": uuid},
                         token, "syncDashboard")

    def _void(self, mutation, variables, token, field):
        answer = self._run(mutation, variables, token, field)
        return None if answer == {"is_none": True} else answer

    def delete_dashboard(self, token, uuid):
        return self._void("mutation($u: UUID!) { deleteDashboard(uuid: $u) { isNone } }", {"u": uuid}, token,
                          "deleteDashboard")

    def delete_panel(self, token, uuid):
        return self._void("mutation($u: UUID!) { deletePanel(uuid: $u) { isNone } }", {"u": uuid}, token,
                          "deletePanel")

    def delete_link(self, token, node_uuid, panel_uuid):
        return self._void("mutation($n: UUID!, $p: UUID!) { deleteLink(unitNodeUuid: $n, dashboardPanelUuid: $p) "
                          "{ isNone } }", {"n": node_uuid, "p": panel_uuid}, token, "deleteLink")


DOORS = {"rest": RestDoor, "graphql": GraphqlDoor}
