"""The datasource the Infinity plugin reads: a link's token reads that node's pipe data only, and
stops working when the link, its panel or its dashboard is deleted."""
from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import jwt
import pytest

from pepeunit.extensions import db
from pepeunit.models import User
from tests.helpers import API

from .doors import RestDoor
from .pipes import LAST_VALUE_STATE
from .test_sync import build_dashboard

URL = f"{API}/grafana/datasource/"
FLAG_OFF = "405: 15: Feature Flag Error: This feature has been disabled by the instance Owner"


def _ms(moment) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp() * 1000)


def synced_tokens(app, client, grafana, world) -> tuple[dict, dict, dict]:
    """(dashboard, panels, (panel title, node uuid) -> token as uploaded to Grafana)."""
    door = RestDoor(client)
    dashboard, panels = build_dashboard(door, world)
    assert door.sync(world.owner_token, dashboard["uuid"])["sync_status"] == "Success"
    org = next(o for o in grafana.orgs.values() if dashboard["grafana_uuid"] in o.dashboards)
    tokens = {}
    for panel in org.dashboards[dashboard["grafana_uuid"]]["dashboard"]["panels"]:
        for target in panel["targets"]:
            claims = jwt.decode(target["url_options"]["headers"][0]["value"], options={"verify_signature": False})
            tokens[(panel["title"], claims["uuid"])] = target["url_options"]["headers"][0]["value"]
    return dashboard, panels, tokens


def read(client, token, **params):
    return client.get(URL, query_string={"format": "timeseries", **params},
                      headers={"x-auth-token": token} if token else {})


def test_each_token_reads_its_own_node(app, client, grafana, panel_world):
    _, _, tokens = synced_tokens(app, client, grafana, panel_world)
    nodes, base = panel_world.nodes, panel_world.base_time
    numbers = read(client, tokens[("temps", nodes["numbers"])], order_by_create_date="asc")
    assert numbers.status_code == 200
    assert numbers.get_json() == [{"time": _ms(base + timedelta(minutes=i)), "value": v}
                                  for i, v in enumerate([1.5, 2.5, 3.0])]
    newest = read(client, tokens[("temps", nodes["numbers"])], limit=1).get_json()
    assert newest == [{"time": _ms(base + timedelta(minutes=2)), "value": 3.0}]
    events = read(client, tokens[("events", nodes["text"])], order_by_create_date="asc").get_json()
    assert [e["value"]["level"] for e in events] == ["info", "error"]
    state = read(client, tokens[("state", nodes["last"])]).get_json()
    assert [s["value"] for s in state] == [LAST_VALUE_STATE]
    averages = read(client, tokens[("temps", nodes["averages"])], order_by_create_date="asc").get_json()
    assert [a["value"] for a in averages] == [10.0, 11.0]
    assert averages[1]["time"] - averages[0]["time"] == 60_000


def test_a_token_reads_nothing_else(app, client, grafana, panel_world, settings):
    _, panels, tokens = synced_tokens(app, client, grafana, panel_world)
    nodes = panel_world.nodes
    token = tokens[("temps", nodes["numbers"])]
    claims = jwt.decode(token, settings.PU_SECRET_KEY, algorithms=["HS256"])

    def forged(**changes):
        return jwt.encode({**claims, **changes}, settings.PU_SECRET_KEY, "HS256")

    refused = {
        "another node of the owner": forged(uuid=nodes["text"]),
        "a stranger's node": forged(uuid=panel_world.stranger_node),
        "another panel": forged(panel_uuid=panels["events"]),
        "no link id": jwt.encode({k: v for k, v in claims.items() if k != "link_uuid"}, settings.PU_SECRET_KEY,
                                 "HS256"),
        "another link": forged(link_uuid=str(uuid.uuid4())),
        "a user token": panel_world.owner_token,
        "a bad signature": jwt.encode(claims, "another-secret-another-secret-0123", "HS256"),
    }
    for what, bad in refused.items():
        response = read(client, bad)
        assert response.status_code == 403, what
        assert response.get_json()["detail"].startswith("403: 1: No Access: "), what
    assert read(client, None).status_code == 403
    assert read(client, token).status_code == 200


def test_deleting_the_link_revokes_its_token(app, client, grafana, panel_world):
    dashboard, panels, tokens = synced_tokens(app, client, grafana, panel_world)
    door, owner, node = RestDoor(client), panel_world.owner_token, panel_world.nodes["numbers"]
    token = tokens[("temps", node)]
    assert read(client, token).status_code == 200
    assert door.delete_link(owner, node, panels["temps"]) is None
    assert read(client, token).status_code == 403
    door.link(owner, node, panels["temps"])  # back on the panel: the old token stays revoked
    assert read(client, token).status_code == 403
    assert door.sync(owner, dashboard["uuid"])["sync_status"] == "Success"
    org = next(o for o in grafana.orgs.values() if dashboard["grafana_uuid"] in o.dashboards)
    targets = org.dashboards[dashboard["grafana_uuid"]]["dashboard"]["panels"][0]["targets"]
    new_token = next(t["url_options"]["headers"][0]["value"] for t in targets
                     if jwt.decode(t["url_options"]["headers"][0]["value"],
                                   options={"verify_signature": False})["uuid"] == node)
    assert new_token != token and read(client, new_token).status_code == 200


@pytest.mark.parametrize("delete", ["panel", "dashboard"])
def test_deleting_the_panel_or_dashboard_revokes_tokens(app, client, grafana, panel_world, delete):
    dashboard, panels, tokens = synced_tokens(app, client, grafana, panel_world)
    door, owner = RestDoor(client), panel_world.owner_token
    token = tokens[("temps", panel_world.nodes["numbers"])]
    if delete == "panel":
        door.delete_panel(owner, panels["temps"])
    else:
        door.delete_dashboard(owner, dashboard["uuid"])
    assert read(client, token).status_code == 403
    other = tokens[("events", panel_world.nodes["text"])]
    assert read(client, other).status_code == (200 if delete == "panel" else 403)


def test_a_blocked_owner_s_tokens_stop_working(app, client, grafana, panel_world):
    from pepeunit.models import UserStatus

    _, _, tokens = synced_tokens(app, client, grafana, panel_world)
    with app.app_context():
        db.session.get(User, uuid.UUID(panel_world.owner)).status = UserStatus.BLOCKED
        db.session.commit()
    assert read(client, tokens[("temps", panel_world.nodes["numbers"])]).status_code == 403


def test_arguments_and_flag(app, client, grafana, panel_world, set_settings):
    _, _, tokens = synced_tokens(app, client, grafana, panel_world)
    token = tokens[("temps", panel_world.nodes["numbers"])]
    assert client.get(URL, headers={"x-auth-token": token}).status_code == 422  # format is required
    assert read(client, token, format="table").status_code == 422
    assert read(client, token, limit=501).status_code == 422
    assert read(client, token, relative_time="1h").status_code == 200
    set_settings(PU_FF_GRAFANA_INTEGRATION_ENABLE=False)
    response = read(client, token)
    assert (response.status_code, response.get_json()["detail"]) == (405, FLAG_OFF)


def test_a_node_whose_pipe_was_switched_off_answers_422(app, client, grafana, panel_world):
    from pepeunit.models import UnitNode

    _, _, tokens = synced_tokens(app, client, grafana, panel_world)
    with app.app_context():
        db.session.get(UnitNode, uuid.UUID(panel_world.nodes["numbers"])).is_data_pipe_active = False
        db.session.commit()
    response = read(client, tokens[("temps", panel_world.nodes["numbers"])])
    assert (response.status_code, response.get_json()["detail"]) == (
        422, "422: 8: DataPipe Validation Error: Data pipe is not active")
