"""syncDashboard against the Grafana stand-in: the org set-up, the dashboard JSON, an idempotent
re-sync, the repair of half-made orgs, and Grafana failures stored on the dashboard."""
from __future__ import annotations

import uuid

import jwt
import sqlalchemy as sa

from pepeunit.extensions import db
from pepeunit.models import UnitNode, User
from tests.helpers import API, auth

from .doors import RestDoor
from .grafana_standin import ADMIN_USER
from .pipes import LAST_VALUE_STATE

GRAFANA_ERROR = "422: 14: Grafana Error: "


def _user(app, uuid_text) -> User:
    with app.app_context():
        row = db.session.get(User, uuid.UUID(uuid_text))
        db.session.expunge(row)
        return row


def build_dashboard(door, world):
    """weather: temps (numbers, averages), events (text as JSON), state (last value as JSON)."""
    token, nodes = world.owner_token, world.nodes
    dashboard = door.create_dashboard(token, "weather")
    temps = door.create_panel(token, dashboard["uuid"], "temps", "timeseries")
    events = door.create_panel(token, dashboard["uuid"], "events", "logs")
    state = door.create_panel(token, dashboard["uuid"], "state", "piechart")
    door.link(token, nodes["numbers"], temps["uuid"])
    door.link(token, nodes["averages"], temps["uuid"])
    door.link(token, nodes["text"], events["uuid"], is_forced_to_json=True)
    door.link(token, nodes["last"], state["uuid"], is_forced_to_json=True)
    return dashboard, {"temps": temps["uuid"], "events": events["uuid"], "state": state["uuid"]}


def test_sync_sets_up_the_org_and_uploads_the_dashboard(app, client, grafana, panel_world, settings):
    door = RestDoor(client)
    dashboard, panels = build_dashboard(door, panel_world)
    synced = door.sync(panel_world.owner_token, dashboard["uuid"])
    assert grafana.problems == []
    assert synced["sync_status"] == "Success", synced
    assert synced["sync_error"] is None
    assert synced["dashboard_url"] == f"/grafana/d/{dashboard['grafana_uuid']}/weather"
    assert synced["inc_last_version"] == 1
    assert synced["sync_last_datetime"] is not None

    owner = _user(app, panel_world.owner)
    org = grafana.org_named(str(owner.grafana_org_name))
    assert org is not None and owner.grafana_org_id == str(org.id)
    assert org.members == {ADMIN_USER: "Admin", owner.login: "Editor"}
    assert grafana.users[owner.login]["email"] == owner.login
    source = org.datasources["InfinityAPI"]
    link_prefix = app.config["PU_SETTINGS"].link_prefix
    assert {k: source[k] for k in ("name", "type", "access", "url", "jsonData")} == {
        "name": "InfinityAPI", "type": "yesoreyeram-infinity-datasource", "access": "proxy",
        "url": f"{link_prefix}/api/v1/grafana/datasource/",
        "jsonData": {"auth_method": None, "customHealthCheckEnabled": True, "customHealthCheckUrl": link_prefix}}
    for call in grafana.calls:
        assert call.headers["Content-Type"] == "application/json"
    upload = grafana.calls_to("POST", "/api/dashboards/db")[-1]
    assert upload.headers["X-Grafana-Org-Id"] == str(org.id)

    saved = org.dashboards[dashboard["grafana_uuid"]]
    body = saved["dashboard"]
    assert upload.body["overwrite"] is True
    assert {k: body[k] for k in ("id", "uid", "title", "tags", "timezone", "schemaVersion", "refresh", "time")} == {
        "id": None, "uid": dashboard["grafana_uuid"], "title": "weather", "tags": ["weather"],
        "timezone": "browser", "schemaVersion": 30, "refresh": "1m", "time": {"from": "now-30d", "to": "now"}}
    assert [(p["title"], p["type"]) for p in body["panels"]] == [
        ("temps", "timeseries"), ("events", "logs"), ("state", "piechart")]
    assert len({p["gridPos"]["y"] for p in body["panels"]}) == 3  # stacked, not on top of each other
    datasource_ref = {"type": "yesoreyeram-infinity-datasource", "uid": source["uid"]}
    temps, events, state = body["panels"]
    assert [t["refId"] for t in temps["targets"]] == ["A", "B"]
    nodes = panel_world.nodes
    expected = {  # panel -> [(node, root_selector, columns, params beyond format/order)]
        "temps": [(nodes["numbers"], "", [("value", "number")], []),
                  (nodes["averages"], "", [("value", "number")], [{"key": "relative_time", "value": "30d"}])],
        "events": [(nodes["text"], "value", [("level", "string"), ("TitleMessage", "string")],
                    [{"key": "relative_time", "value": "300s"}])],
        "state": [(nodes["last"], "value", [(k, "number" if isinstance(v, int) else "string")
                                            for k, v in LAST_VALUE_STATE.items() if not isinstance(v, dict)], [])],
    }
    for panel in body["panels"]:
        assert panel["fieldConfig"] == {"defaults": {"custom": {"invertPalette": True}}, "overrides": []}
        for target, (node, root, columns, params) in zip(panel["targets"], expected[panel["title"]], strict=True):
            assert target["datasource"] == datasource_ref
            assert (target["format"], target["parser"], target["url"]) == ("timeseries", "backend", "")
            assert target["root_selector"] == root
            assert target["columns"] == [{"selector": "time", "text": "", "type": "timestamp_epoch"}] + [
                {"selector": s, "text": "", "type": t} for s, t in columns]
            options = target["url_options"]
            assert options["method"] == "GET"
            assert options["params"] == [{"key": "format", "value": "timeseries"},
                                          {"key": "order_by_create_date", "value": "asc"}] + params
            [header] = options["headers"]
            assert header["key"] == "x-auth-token"
            claims = jwt.decode(header["value"], settings.PU_SECRET_KEY, algorithms=["HS256"])
            assert claims["type"] == "GrafanaUnitNode"
            assert claims["uuid"] == node and claims["panel_uuid"] == panels[panel["title"]]
            assert "exp" not in claims


def test_resync_is_idempotent(app, client, grafana, panel_world):
    door = RestDoor(client)
    dashboard, _ = build_dashboard(door, panel_world)
    first = door.sync(panel_world.owner_token, dashboard["uuid"])
    owner = _user(app, panel_world.owner)
    org = grafana.org_named(str(owner.grafana_org_name))
    uploaded = org.dashboards[dashboard["grafana_uuid"]]["dashboard"]
    orgs_made, sources_made = len(grafana.calls_to("POST", "/api/orgs")), len(grafana.calls_to("POST", "/api/datasources"))
    second = door.sync(panel_world.owner_token, dashboard["uuid"])
    assert (first["inc_last_version"], second["inc_last_version"]) == (1, 2)
    assert second["sync_status"] == "Success" and second["dashboard_url"] == first["dashboard_url"]
    assert org.dashboards[dashboard["grafana_uuid"]]["dashboard"] == uploaded  # same JSON, same tokens
    assert len(grafana.calls_to("POST", "/api/orgs")) == orgs_made
    assert len(grafana.calls_to("POST", "/api/datasources")) == sources_made
    assert len(org.datasources) == 1 and len(org.dashboards) == 1
    assert _user(app, panel_world.owner).grafana_org_id == str(org.id)
    assert grafana.problems == []


def test_sign_up_sets_up_the_org(app, client, grafana):
    response = client.post(f"{API}/users", json={"login": "newcomer", "password": "password-123"})
    assert response.status_code == 201
    user = response.get_json()
    org = grafana.org_named(user["grafana_org_name"])
    assert org is not None and user["grafana_org_id"] == str(org.id)
    assert org.members["newcomer"] == "Editor" and "InfinityAPI" in org.datasources
    assert grafana.problems == []


def test_sign_up_succeeds_while_grafana_is_down(app, client, grafana, set_settings):
    set_settings(PU_GRAFANA_URL="http://127.0.0.1:9")  # nothing listens there
    response = client.post(f"{API}/users", json={"login": "offline1", "password": "password-123"})
    assert response.status_code == 201
    assert response.get_json()["grafana_org_id"] is None


def test_org_missing_in_grafana_is_recreated(app, client, grafana, panel_world):
    door = RestDoor(client)
    dashboard, _ = build_dashboard(door, panel_world)
    owner = _user(app, panel_world.owner)
    old_id = int(owner.grafana_org_id)
    del grafana.orgs[old_id]  # Grafana lost the org (volume reset): only our row remembers it
    synced = door.sync(panel_world.owner_token, dashboard["uuid"])
    assert synced["sync_status"] == "Success", synced
    org = grafana.org_named(str(owner.grafana_org_name))
    assert org.id != old_id and _user(app, panel_world.owner).grafana_org_id == str(org.id)
    assert owner.login in org.members and "InfinityAPI" in org.datasources
    assert dashboard["grafana_uuid"] in org.dashboards
    assert grafana.problems == []


def test_org_only_in_grafana_is_adopted(app, client, grafana, panel_world):
    door = RestDoor(client)
    dashboard, _ = build_dashboard(door, panel_world)
    owner = _user(app, panel_world.owner)
    org_id = owner.grafana_org_id
    with app.app_context():  # our row lost the id (e.g. a failed commit after Grafana made the org)
        db.session.execute(sa.update(User).where(User.uuid == owner.uuid).values(grafana_org_id=None))
        db.session.commit()
    orgs_made = len(grafana.calls_to("POST", "/api/orgs"))
    synced = door.sync(panel_world.owner_token, dashboard["uuid"])
    assert synced["sync_status"] == "Success"
    assert len(grafana.calls_to("POST", "/api/orgs")) == orgs_made  # adopted, not duplicated
    assert _user(app, panel_world.owner).grafana_org_id == org_id
    assert len([o for o in grafana.orgs.values() if o.name == str(owner.grafana_org_name)]) == 1


def test_upload_failure_is_stored_on_the_dashboard(app, client, grafana, panel_world):
    door = RestDoor(client)
    dashboard, _ = build_dashboard(door, panel_world)
    grafana.fail("POST", "/api/dashboards/db", 500)
    synced = door.sync(panel_world.owner_token, dashboard["uuid"])
    assert synced["sync_status"] == "Error"
    assert synced["sync_error"] == "Grafana POST /api/dashboards/db answered 500: Internal Server Error (stand-in failure)"
    assert synced["dashboard_url"] is None
    assert door.get_dashboard(panel_world.owner_token, dashboard["uuid"])["sync_status"] == "Error"
    grafana.failures.clear()
    assert door.sync(panel_world.owner_token, dashboard["uuid"])["sync_status"] == "Success"


def test_unreachable_grafana_is_stored_not_a_500(app, client, grafana, panel_world, set_settings):
    door = RestDoor(client)
    dashboard, _ = build_dashboard(door, panel_world)
    set_settings(PU_GRAFANA_URL="http://127.0.0.1:9")
    response = client.post(f"{API}/grafana/sync_dashboard", query_string={"uuid": dashboard["uuid"]},
                           headers=auth(panel_world.owner_token))
    assert response.status_code == 200
    assert response.get_json()["sync_status"] == "Error"
    assert response.get_json()["sync_error"].startswith("Grafana GET /api/orgs/")
    assert "ConnectionError" in response.get_json()["sync_error"]


def test_wrong_admin_password_is_stored(app, client, grafana, panel_world, set_settings):
    door = RestDoor(client)
    dashboard, _ = build_dashboard(door, panel_world)
    set_settings(PU_GRAFANA_ADMIN_PASSWORD="wrong")
    synced = door.sync(panel_world.owner_token, dashboard["uuid"])
    assert synced["sync_status"] == "Error" and "401" in synced["sync_error"]
    assert "wrong" not in synced["sync_error"]


def test_what_the_owner_must_fix_is_refused_and_nothing_changes(app, client, grafana, panel_world):
    door, token, nodes = RestDoor(client), panel_world.owner_token, panel_world.nodes
    dashboard = door.create_dashboard(token, "empty")
    assert door.sync(token, dashboard["uuid"]) == GRAFANA_ERROR + "Dashboard does not have Panels"
    panel = door.create_panel(token, dashboard["uuid"], "offline")
    door.link(token, nodes["inactive"], panel["uuid"])
    name = f"{panel_world.unit_name}@off/pepeunit"
    assert door.sync(token, dashboard["uuid"]) == GRAFANA_ERROR + f"{name} has no active DataPipe"
    with app.app_context():
        node = db.session.get(UnitNode, uuid.UUID(nodes["inactive"]))
        node.is_data_pipe_active, node.data_pipe_yml = True, "{not a config"
        db.session.commit()
    assert door.sync(token, dashboard["uuid"]) == GRAFANA_ERROR + f"{name} has no valid yml DataPipe"
    after = door.get_dashboard(token, dashboard["uuid"])
    assert (after["sync_status"], after["sync_last_datetime"], after["dashboard_url"]) == (None, None, None)
    assert grafana.calls_to("POST", "/api/dashboards/db") == []
