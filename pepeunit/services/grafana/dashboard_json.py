"""The dashboard JSON uploaded to Grafana (``POST /api/dashboards/db``; datapipe-grafana.md §7.4).

One Infinity query (target) per node on a panel, reading our datasource endpoint with the
link's token. Its columns come from a probe of the node's newest value: a string or number
gives one ``value`` column, an object one column per top-level string or number field.
Panels are stacked one under the other (v1.2 put them all at the same place, Q22).
"""
from __future__ import annotations

import string
from dataclasses import dataclass

from ...models import ProcessingPolicyType
from .dashboards import PanelNode, PanelView
from .datasource import DatasourceQuery, issue_node_token, node_config, read_points
from .orgs import DATASOURCE_TYPE

PANEL_HEIGHT = 8
PANEL_WIDTH = 24
TIME_COLUMN = {"selector": "time", "text": "", "type": "timestamp_epoch"}


@dataclass(frozen=True)
class Probe:
    """What a node's newest value says about its query: the root selector and the columns."""

    root_selector: str
    columns: list


def ref_id(index: int) -> str:
    """A, B, ..., Z, AA, AB, ... (Grafana's own naming of a panel's queries)."""
    letters = string.ascii_uppercase
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = letters[rest] + out
    return out


def _column_type(value) -> str | None:
    if isinstance(value, bool) or isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def probe(item: PanelNode) -> Probe:
    """Columns from the node's newest value (no data yet: the time column only)."""
    points = read_points(item.link, item.unit_node, DatasourceQuery(limit=1))
    if not points:
        return Probe("", [TIME_COLUMN])
    value = points[0]["value"]
    if isinstance(value, dict):
        columns = [{"selector": key, "text": "", "type": _column_type(v)} for key, v in value.items()
                   if _column_type(v) is not None]
        return Probe("value", [TIME_COLUMN, *columns])
    kind = _column_type(value)
    return Probe("", [TIME_COLUMN] + ([{"selector": "value", "text": "", "type": kind}] if kind else []))


def _params(item: PanelNode) -> list[dict]:
    params = [{"key": "format", "value": "timeseries"}, {"key": "order_by_create_date", "value": "asc"}]
    policy = node_config(item.unit_node).processing_policy
    if policy.policy_type is ProcessingPolicyType.TIME_WINDOW:
        params.append({"key": "relative_time", "value": f"{policy.time_window_size}s"})
    elif policy.policy_type is ProcessingPolicyType.AGGREGATION:
        params.append({"key": "relative_time", "value": "30d"})
    return params


def target(index: int, item: PanelNode, found: Probe, datasource: dict, settings) -> dict:
    return {
        "datasource": datasource,
        "refId": ref_id(index),
        "type": "json",
        "source": "url",
        "root_selector": found.root_selector,
        "format": "timeseries",
        "parser": "backend",
        "json": {"type": "json", "parser": "JSONata", "rootSelector": "$"},
        "url": "",
        "url_options": {
            "method": "GET",
            "data": "",
            "headers": [{"key": "x-auth-token", "value": issue_node_token(item.link, settings)}],
            "params": _params(item),
        },
        "columns": found.columns,
    }


def dashboard_body(dashboard, panels: list[PanelView], probes: dict, datasource_uid: str, settings) -> dict:
    """``probes``: link uuid -> ``Probe`` of every node on the panels."""
    datasource = {"type": DATASOURCE_TYPE, "uid": datasource_uid}
    out = []
    for row, panel in enumerate(panels):
        out.append({
            "type": panel.type.value,
            "title": panel.title,
            "datasource": datasource,
            "gridPos": {"x": 0, "y": row * PANEL_HEIGHT, "w": PANEL_WIDTH, "h": PANEL_HEIGHT},
            "options": {},
            "fieldConfig": {"defaults": {"custom": {"invertPalette": True}}, "overrides": []},
            "targets": [target(i, item, probes[item.link.uuid], datasource, settings)
                        for i, item in enumerate(panel.unit_nodes_for_panel)],
        })
    return {
        "dashboard": {
            "id": None,
            "uid": str(dashboard.grafana_uuid),
            "title": dashboard.name,
            "tags": [dashboard.name],
            "timezone": "browser",
            "schemaVersion": 30,
            "refresh": "1m",
            "time": {"from": "now-30d", "to": "now"},
            "panels": out,
        },
        "overwrite": True,
    }
