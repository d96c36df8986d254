"""The official frontend's Grafana GraphQL operations (their shapes as head-api §1.3.9 and §1.3.1
give them: names, arguments, input fields, selections) validate against our schema."""
from __future__ import annotations

import pytest
from graphql import parse, validate

from pepeunit.graphql.schema import schema

DASHBOARD = ("uuid grafanaUuid name createDatetime dashboardUrl incLastVersion syncStatus syncError "
             "syncLastDatetime creatorUuid")
UNIT_NODE = ("uuid type visibilityLevel isRewritableInput maxConnections topicName lastUpdateDatetime "
             "isDataPipeActive dataPipeYml dataPipeStatus dataPipeError createDatetime state unitUuid creatorUuid")
PANEL_NODE = f"unitNode {{ {UNIT_NODE} }} isLastData isForcedToJson unitWithUnitNodeName"
PANEL = f"uuid type title createDatetime creatorUuid dashboardUuid unitNodesForPanel {{ {PANEL_NODE} }}"

OPERATIONS = {
    "getDashboard": f"query getDashboard($uuid: UUID!) {{ getDashboard(uuid: $uuid) {{ {DASHBOARD} }} }}",
    "getDashboards": f"""query getDashboards($searchString: String, $offset: Int, $limit: Int) {{
        getDashboards(filters: {{searchString: $searchString, orderByCreateDate: desc, offset: $offset,
                                 limit: $limit}}) {{ count dashboards {{ {DASHBOARD} }} }} }}""",
    "getDashboardPanels": f"""query getDashboardPanels($uuid: UUID!) {{
        getDashboardPanels(uuid: $uuid) {{ count panels {{ {PANEL} }} }} }}""",
    "createDashboard": f"""mutation createDashboard($name: String!) {{
        createDashboard(dashboard: {{name: $name}}) {{ {DASHBOARD} }} }}""",
    "createDashboardPanel": f"""mutation createDashboardPanel($dashboardUuid: UUID!, $title: String!,
        $type: DashboardPanelTypeEnum!) {{
        createDashboardPanel(dashboardPanel: {{dashboardUuid: $dashboardUuid, title: $title, type: $type}})
        {{ {PANEL} }} }}""",
    "linkUnitNodeToPanel": f"""mutation linkUnitNodeToPanel($unitNodeUuid: UUID!, $dashboardPanelsUuid: UUID!,
        $isLastData: Boolean!, $isForcedToJson: Boolean!) {{
        linkUnitNodeToPanel(dashboard: {{unitNodeUuid: $unitNodeUuid, dashboardPanelsUuid: $dashboardPanelsUuid,
                                         isLastData: $isLastData, isForcedToJson: $isForcedToJson}})
        {{ {PANEL_NODE} }} }}""",
    "syncDashboard": f"mutation syncDashboard($uuid: UUID!) {{ syncDashboard(uuid: $uuid) {{ {DASHBOARD} }} }}",
    "deleteDashboard": "mutation deleteDashboard($uuid: UUID!) { deleteDashboard(uuid: $uuid) { isNone } }",
    "deletePanel": "mutation deletePanel($uuid: UUID!) { deletePanel(uuid: $uuid) { isNone } }",
    "deleteLink": """mutation deleteLink($unitNodeUuid: UUID!, $dashboardPanelUuid: UUID!) {
        deleteLink(unitNodeUuid: $unitNodeUuid, dashboardPanelUuid: $dashboardPanelUuid) { isNone } }""",
    "setGrafanaCookies": "mutation setGrafanaCookies { setGrafanaCookies { isNone } }",
    "deleteUserCookies": "mutation deleteUserCookies { deleteUserCookies { isNone } }",
    "getToken": "query getToken($credentials: String!, $password: String!) { "
                "getToken(data: {credentials: $credentials, password: $password}) }",
    "getUserGrafanaFields": "query getUser($uuid: UUID!) { getUser(uuid: $uuid) { uuid grafanaOrgName grafanaOrgId } }",
}

PANEL_TYPES = ("TIME_SERIES BAR_CHART STAT GAUGE BAR_GAUGE TABLE PIE_CHART STATE_TIMELINE HEATMAP STATUS_HISTORY "
               "HISTOGRAM TEXT ALERT_LIST DASHBOARD_LIST NEWS ANNOTATION_LIST CANDLESTICK CANVAS FLAME_GRAPH GEOMAP "
               "LOGS HOURLY_HEATMAP NODE_GRAPH TRACES TREND XY_CHART").split()


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_validates(name):
    assert validate(schema.graphql_schema, parse(OPERATIONS[name])) == []


def test_a_wrong_operation_does_not_validate():
    """The check can fail: a field the schema lacks is reported."""
    errors = validate(schema.graphql_schema, parse("query { getDashboard(uuid: \"x\") { nope } }"))
    assert errors


def test_enums_have_v12_names_and_values():
    panel_type = schema.graphql_schema.get_type("DashboardPanelTypeEnum")
    assert list(panel_type.values) == PANEL_TYPES
    assert panel_type.values["HOURLY_HEATMAP"].value.value == "marcusolsson-hourly-heatmap-panel"
    assert list(schema.graphql_schema.get_type("DashboardStatus").values) == ["SUCCESS", "PROCESSING", "ERROR"]


def test_sdl_of_the_grafana_fields():
    sdl = str(schema)
    for line in (
        "getDashboard(uuid: UUID!): DashboardType!",
        "getDashboards(filters: DashboardFilterInput!): DashboardsResultType!",
        "getDashboardPanels(uuid: UUID!): DashboardPanelsResultType!",
        "createDashboard(dashboard: DashboardCreateInput!): DashboardType!",
        "createDashboardPanel(dashboardPanel: DashboardPanelCreateInput!): DashboardPanelType!",
        "linkUnitNodeToPanel(dashboard: LinkUnitNodeToPanelInput!): UnitNodeForPanelType!",
        "syncDashboard(uuid: UUID!): DashboardType!",
        "deleteDashboard(uuid: UUID!): NoneType!",
        "deletePanel(uuid: UUID!): NoneType!",
        "deleteLink(unitNodeUuid: UUID!, dashboardPanelUuid: UUID!): NoneType!",
        "setGrafanaCookies: NoneType!",
        "deleteUserCookies: NoneType!",
        "orderByCreateDate: OrderByDate = desc",
    ):
        assert line in sdl, line
