"""The broker's authorization hook: who may publish or subscribe where (real PostgreSQL and Redis)."""
from __future__ import annotations

import time

import jwt
import pytest

from pepeunit.broker.identity import backend_client_id, issue_backend_token
from pepeunit.extensions import db
from pepeunit.models import UnitNodeEdge
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.services import acl_generation
from pepeunit.services.mqtt_auth import GENERATION_REFRESH, forget_local_decisions

from .. import world

URL = "/pepeunit/api/v1/units/auth"
PUB, SUB = "publish", "subscribe"


@pytest.fixture(autouse=True)
def fresh_process_cache():
    forget_local_decisions()  # each test starts on an emptied Redis, generation 0 again


@pytest.fixture
def rows(app, settings):
    with app.app_context():
        owner = world.user(bare=True)
        a, b = world.unit(owner, bare=True), world.unit(owner, bare=True)
        c = world.unit(world.user(bare=True), bare=True)
        nodes = {
            "a_out": world.node(a, T.OUTPUT, "out/pepeunit"),
            "a_in": world.node(a, T.INPUT, "in/pepeunit"),
            "b_in": world.node(b, T.INPUT, "in/pepeunit"),
            "b_out": world.node(b, T.OUTPUT, "out/pepeunit"),
            "b_raw": world.node(b, T.OUTPUT, "raw"),
            "c_in": world.node(c, T.INPUT, "in/pepeunit"),
            "c_out": world.node(c, T.OUTPUT, "out/pepeunit"),
        }
        world.edge(nodes["a_out"], nodes["b_in"], bare=True)
        db.session.commit()
        d = settings.PU_DOMAIN
        out = {
            "domain": d,
            "a": a.uuid, "b": b.uuid, "c": c.uuid,
            "tokens": {"a": world.unit_token(a, settings), "b": world.unit_token(b, settings),
                       "user": world.user_token(owner, settings), "backend": issue_backend_token(settings)},
            "t": {name: f"{d}/{n.uuid}" + ("/pepeunit" if n.topic_name.endswith("/pepeunit") else "")
                  for name, n in nodes.items()},
            "nodes": {name: n.uuid for name, n in nodes.items()},
        }
    return out


def ask(client, token, topic, action=None, clientid="some-client"):
    body = {"token": token, "topic": topic}
    if action is not None:
        body["action"] = action
    if clientid is not None:
        body["clientid"] = clientid
    response = client.post(URL, json=body)
    assert response.status_code == 200
    return response.get_json()["result"]


def base(rows, destination, who, name):
    return f"{rows['domain']}/{destination}/{rows[who]}/{name}/pepeunit"


def test_unit_matrix(client, rows):
    b = rows["tokens"]["b"]
    t = rows["t"]
    expected = [
        # own base topics: subscribe inputs, publish outputs, nothing else
        (base(rows, "input_base_topic", "b", "update"), SUB, "allow"),
        (base(rows, "input_base_topic", "b", "update"), PUB, "deny"),
        (base(rows, "output_base_topic", "b", "state"), PUB, "allow"),
        (base(rows, "output_base_topic", "b", "log"), PUB, "allow"),
        (base(rows, "output_base_topic", "b", "state"), SUB, "deny"),
        # another unit's base topics
        (base(rows, "input_base_topic", "a", "update"), SUB, "deny"),
        (base(rows, "output_base_topic", "a", "state"), PUB, "deny"),
        (base(rows, "output_base_topic", "a", "state"), SUB, "deny"),
        # own nodes
        (t["b_in"], SUB, "allow"),
        (t["b_in"], PUB, "deny"),
        (t["b_out"], PUB, "allow"),
        (t["b_out"], SUB, "deny"),
        (t["b_raw"], PUB, "allow"),
        # linked output (edge a_out -> b_in): subscribe only
        (t["a_out"], SUB, "allow"),
        (t["a_out"], PUB, "deny"),
        # unlinked nodes of others
        (t["c_out"], SUB, "deny"),
        (t["c_in"], PUB, "deny"),
        (t["a_in"], PUB, "deny"),
        (t["a_in"], SUB, "deny"),
        # suffix must match the node, no wildcards, our domain only, known shapes only
        (t["b_in"][: -len("/pepeunit")], SUB, "deny"),
        (t["b_raw"] + "/pepeunit", PUB, "deny"),
        (f"{rows['domain']}/+/pepeunit", SUB, "deny"),
        (f"{rows['domain']}/input_base_topic/{rows['b']}/+/pepeunit", SUB, "deny"),
        ("#", SUB, "deny"),
        (t["b_in"].replace(rows["domain"], "evil.example"), SUB, "deny"),
        (f"{rows['domain']}/input_base_topic/{rows['b']}/update/other", SUB, "deny"),
        (f"{rows['domain']}/{rows['b']}", SUB, "deny"),
        ("", SUB, "deny"),
        (t["b_in"], "delete", "deny"),
    ]
    got = [(topic, action, ask(client, b, topic, action)) for topic, action, _ in expected]
    assert got == expected


def test_without_action_either_action_must_be_allowed(client, rows):
    b, t = rows["tokens"]["b"], rows["t"]
    assert ask(client, b, t["b_in"]) == "allow"
    assert ask(client, b, t["a_out"]) == "allow"
    assert ask(client, b, base(rows, "output_base_topic", "b", "state")) == "allow"
    assert ask(client, b, t["c_in"]) == "deny"
    assert ask(client, b, t["c_out"]) == "deny"


def test_backend_matrix(client, rows, settings):
    token, t, d = rows["tokens"]["backend"], rows["t"], rows["domain"]
    assert ask(client, token, f"{d}/+/+/+/pepeunit", SUB) == "allow"
    assert ask(client, token, f"{d}/+/pepeunit", SUB) == "allow"
    assert ask(client, token, "#", SUB) == "deny"
    assert ask(client, token, "other.example/+/+/+/pepeunit", SUB) == "deny"
    assert ask(client, token, base(rows, "input_base_topic", "b", "update"), PUB) == "allow"
    assert ask(client, token, base(rows, "output_base_topic", "b", "state"), PUB) == "deny"
    assert ask(client, token, t["b_in"], PUB) == "allow"
    assert ask(client, token, t["b_out"], PUB) == "deny"
    assert ask(client, token, "", "connect", backend_client_id(settings)) == "allow"
    foreign = jwt.encode({"domain": "other.example", "type": "Backend"}, settings.PU_SECRET_KEY, "HS256")
    assert ask(client, foreign, f"{d}/+/+/+/pepeunit", SUB) == "deny"


def test_users_bad_tokens_and_bad_bodies_are_denied(client, rows, settings):
    t = rows["t"]
    for token in (rows["tokens"]["user"], "", "garbage", "a.b.c",
                  jwt.encode({"uuid": str(rows["b"]), "type": "Unit"}, "another-secret-another-secret", "HS256"),
                  jwt.encode({"uuid": "not-a-uuid", "type": "Unit"}, settings.PU_SECRET_KEY, "HS256")):
        for action in (PUB, SUB, "connect", None):
            assert ask(client, token, t["b_in"], action) == "deny"
    assert client.post(URL, data="not json", content_type="application/json").get_json() == {"result": "deny"}
    assert client.post(URL, json={"token": rows["tokens"]["b"]}).get_json() == {"result": "deny"}
    assert client.post(URL, json=[1, 2]).get_json() == {"result": "deny"}
    assert client.post(URL, json={"token": 5, "topic": t["b_in"]}).get_json() == {"result": "deny"}
    oversize = {"token": rows["tokens"]["b"], "topic": t["b_in"], "action": SUB, "pad": "x" * 70000}
    assert client.post(URL, json=oversize).get_json() == {"result": "deny"}
    assert client.post(URL).get_json() == {"result": "deny"}  # no body at all
    # The same well-formed question is allowed, so the denials above came from the bodies.
    assert client.post(URL, json={k: v for k, v in oversize.items() if k != "pad"}).get_json() == {"result": "allow"}


def test_connect_and_reserved_client_ids(client, rows, settings):
    b = rows["tokens"]["b"]
    assert ask(client, b, "", "connect", str(rows["b"])) == "allow"
    assert ask(client, b, "", "connect", backend_client_id(settings)) == "deny"
    assert ask(client, b, rows["t"]["b_in"], SUB, backend_client_id(settings)) == "deny"


def test_decisions_are_cached_until_the_generation_changes(app, client, rows):
    b, topic = rows["tokens"]["b"], rows["t"]["a_out"]
    assert ask(client, b, topic, SUB) == "allow"
    with app.app_context():
        db.session.query(UnitNodeEdge).delete()
        db.session.commit()
    assert ask(client, b, topic, SUB) == "allow"  # still the cached decision
    with app.app_context():
        acl_generation.bump()
    time.sleep(GENERATION_REFRESH * 1.5)  # workers re-read the generation this often
    assert ask(client, b, topic, SUB) == "deny"


def test_deleted_unit_loses_access_after_bump(app, client, rows):
    b = rows["tokens"]["b"]
    topic = base(rows, "output_base_topic", "b", "state")
    assert ask(client, b, topic, PUB) == "allow"
    with app.app_context():
        from pepeunit.models import Unit

        db.session.delete(db.session.get(Unit, rows["b"]))
        db.session.commit()
        acl_generation.bump()
    time.sleep(GENERATION_REFRESH * 1.5)
    assert ask(client, b, topic, PUB) == "deny"
    assert ask(client, b, "", "connect") == "deny"
