"""Dashboards, panels and links over both doors: v1.2's names, access rules and 422 messages."""
from __future__ import annotations

import pytest

from .test_sync import build_dashboard

GRAFANA_ERROR = "422: 14: Grafana Error: "
FLAG_OFF = "405: 15: Feature Flag Error: This feature has been disabled by the instance Owner"
ONLY_USERS = "403: 1: No Access: AgentBot access not allowed, only for [<AgentType.USER: 'User'>]"


def not_creator(entity: str) -> str:
    return f"403: 1: No Access: AgentUser is not creator this entity - {entity}."


def test_create_read_and_list(door, panel_world):
    owner, nodes = panel_world.owner_token, panel_world.nodes
    first = door.create_dashboard(owner, "alpha_1")
    assert (first["name"], first["creator_uuid"], first["sync_status"], first["dashboard_url"]) == (
        "alpha_1", panel_world.owner, None, None)
    assert first["grafana_uuid"] != first["uuid"]
    second = door.create_dashboard(owner, "beta.2")
    door.create_dashboard(panel_world.stranger_token, "alpha_3")
    assert door.get_dashboard(owner, first["uuid"]) == first
    listed = door.get_dashboards(owner)
    assert listed["count"] == 2 and [d["uuid"] for d in listed["dashboards"]] == [second["uuid"], first["uuid"]]
    searched = door.get_dashboards(owner, search_string="alpha", limit=10)
    assert [d["uuid"] for d in searched["dashboards"]] == [first["uuid"]]
    assert door.get_dashboards(owner, order_by_create_date="asc", limit=1, offset=1)["dashboards"][0]["uuid"] == \
        second["uuid"]
    panel = door.create_panel(owner, first["uuid"], "marcusolsson-ho", "marcusolsson-hourly-heatmap-panel")
    assert (panel["type"], panel["title"], panel["dashboard_uuid"], panel["unit_nodes_for_panel"]) == (
        "marcusolsson-hourly-heatmap-panel", "marcusolsson-ho", first["uuid"], [])
    link = door.link(owner, nodes["numbers"], panel["uuid"], is_last_data=True)
    assert link["unit_node"]["uuid"] == nodes["numbers"]
    assert (link["is_last_data"], link["is_forced_to_json"]) == (True, False)
    assert link["unit_with_unit_node_name"] == f"{panel_world.unit_name}@temp/pepeunit"


def test_panels_and_their_nodes_come_back_in_order(door, panel_world):
    dashboard, panels = build_dashboard(door, panel_world)
    answer = door.get_panels(panel_world.owner_token, dashboard["uuid"])
    assert answer["count"] == 3
    assert [p["title"] for p in answer["panels"]] == ["temps", "events", "state"]
    temps = answer["panels"][0]
    assert [n["unit_node"]["uuid"] for n in temps["unit_nodes_for_panel"]] == [
        panel_world.nodes["numbers"], panel_world.nodes["averages"]]
    assert answer["panels"][1]["unit_nodes_for_panel"][0]["is_forced_to_json"] is True


def test_bad_names_titles_duplicates_and_the_limit(door, panel_world, set_settings):
    owner, nodes = panel_world.owner_token, panel_world.nodes
    for bad in ("x", "abc", "a" * 21, "with space", "bad/slash"):
        assert door.create_dashboard(owner, bad) == GRAFANA_ERROR + "Name is not correct"
    dashboard = door.create_dashboard(owner, "limits")
    for bad in ("x", "t" * 21, "no way"):
        assert door.create_panel(owner, dashboard["uuid"], bad) == GRAFANA_ERROR + "Title is not correct"
    panel = door.create_panel(owner, dashboard["uuid"], "crowded")
    door.link(owner, nodes["numbers"], panel["uuid"])
    assert door.link(owner, nodes["numbers"], panel["uuid"]) == GRAFANA_ERROR + \
        "This UnitNode is not unique for this Panel"
    set_settings(PU_GRAFANA_LIMIT_UNIT_NODE_PER_ONE_PANEL=2)
    door.link(owner, nodes["text"], panel["uuid"])
    assert door.link(owner, nodes["last"], panel["uuid"]) == GRAFANA_ERROR + "Limit UnitNode for one panel is 2"
    assert door.get_panels(owner, dashboard["uuid"])["panels"][0]["unit_nodes_for_panel"].__len__() == 2


def test_only_the_creator(door, panel_world):
    owner, stranger, nodes = panel_world.owner_token, panel_world.stranger_token, panel_world.nodes
    dashboard = door.create_dashboard(owner, "private")
    panel = door.create_panel(owner, dashboard["uuid"], "mine")
    door.link(owner, nodes["numbers"], panel["uuid"])
    assert door.get_dashboard(stranger, dashboard["uuid"]) == not_creator("Dashboard")
    assert door.get_panels(stranger, dashboard["uuid"]) == not_creator("Dashboard")
    assert door.sync(stranger, dashboard["uuid"]) == not_creator("Dashboard")
    assert door.create_panel(stranger, dashboard["uuid"], "theirs") == not_creator("Dashboard")
    assert door.link(stranger, panel_world.stranger_node, panel["uuid"]) == not_creator("DashboardPanel")
    assert door.link(owner, panel_world.stranger_node, panel["uuid"]) == not_creator("UnitNode")
    assert door.delete_link(stranger, nodes["numbers"], panel["uuid"]) == not_creator("DashboardPanel")
    assert door.delete_panel(stranger, panel["uuid"]) == not_creator("DashboardPanel")
    assert door.delete_dashboard(stranger, dashboard["uuid"]) == not_creator("Dashboard")
    assert door.get_dashboards(stranger)["count"] == 0
    assert door.get_dashboards(None) == ONLY_USERS
    assert door.create_dashboard(None, "anonymous") == ONLY_USERS
    assert door.get_panels(owner, dashboard["uuid"])["panels"][0]["unit_nodes_for_panel"][0]["unit_node"][
        "uuid"] == nodes["numbers"]  # nothing changed


def test_unknown_uuids_and_deletes(door, panel_world):
    owner, nodes = panel_world.owner_token, panel_world.nodes
    missing = "00000000-0000-4000-8000-000000000000"
    not_found = "422: 2: Validation Error: The object does not exist"
    assert door.get_dashboard(owner, missing) == not_found
    dashboard, panels = build_dashboard(door, panel_world)
    assert door.delete_link(owner, nodes["empty"], panels["temps"]) == not_found
    assert door.delete_link(owner, nodes["numbers"], panels["temps"]) is None
    assert door.delete_panel(owner, panels["events"]) is None
    answer = door.get_panels(owner, dashboard["uuid"])
    assert [p["title"] for p in answer["panels"]] == ["temps", "state"]
    assert [n["unit_node"]["uuid"] for n in answer["panels"][0]["unit_nodes_for_panel"]] == [nodes["averages"]]
    assert door.delete_dashboard(owner, dashboard["uuid"]) is None
    assert door.get_dashboard(owner, dashboard["uuid"]) == not_found
    assert door.get_panels(owner, dashboard["uuid"]) == not_found


@pytest.mark.parametrize("token", ["owner", "bad", None])
def test_flag_off_answers_the_feature_flag_error_first(door, panel_world, set_settings, token):
    dashboard, panels = build_dashboard(door, panel_world)
    set_settings(PU_FF_GRAFANA_INTEGRATION_ENABLE=False)
    caller = {"owner": panel_world.owner_token, "bad": "not-a-jwt", None: None}[token]
    node = panel_world.nodes["numbers"]
    answers = [
        door.create_dashboard(caller, "flagged"), door.create_panel(caller, dashboard["uuid"], "flagged"),
        door.link(caller, panel_world.nodes["empty"], panels["temps"]), door.get_dashboard(caller, dashboard["uuid"]),
        door.get_dashboards(caller), door.get_panels(caller, dashboard["uuid"]), door.sync(caller, dashboard["uuid"]),
        door.delete_link(caller, node, panels["temps"]), door.delete_panel(caller, panels["temps"]),
        door.delete_dashboard(caller, dashboard["uuid"]),
    ]
    assert answers == [FLAG_OFF] * len(answers)
