"""Unit nodes and edges over REST, and the unit list's node filters."""
import dataclasses
import json
import socket
import time
import uuid

from pepeunit.broker import publisher
from pepeunit.extensions import db
from pepeunit.models import Permission, UnitNodeEdge
from pepeunit.services import acl_generation, unit_node_edges
from pepeunit.services.agents import agent_from_token
from tests.helpers import API, auth, new_user
from tests.mqtt_listener import Listener


def _nodes(world, unit_uuid, token=None) -> dict:
    body = world.client.get(f"{API}/unit_nodes", query_string={"unit_uuid": unit_uuid}, headers=auth(token)).get_json()
    return {n["topic_name"]: n for n in body["unit_nodes"]}


def _unit_token(world, unit_uuid) -> str:
    return world.client.get(f"{API}/units/env/{unit_uuid}", headers=auth(world.token)).get_json()["PU_AUTH_TOKEN"]


def _edge(world, output_uuid, input_uuid, token=None):
    return world.client.post(f"{API}/unit_nodes/create_unit_node_edge", headers=auth(token or world.token),
                             json={"node_output_uuid": output_uuid, "node_input_uuid": input_uuid})


def test_edges_feed_schema_send_schema_update_and_grant(unit_world):
    sender = unit_world.create_unit("sender")
    receiver = unit_world.create_unit("receiver")
    out_node = _nodes(unit_world, sender["uuid"])["output/pepeunit"]
    in_node = _nodes(unit_world, receiver["uuid"])["input/pepeunit"]
    domain = unit_world.settings.PU_DOMAIN
    with unit_world.app.app_context():
        generation = acl_generation.current()
    with Listener(f"{domain}/input_base_topic/{receiver['uuid']}/#") as listener:
        response = _edge(unit_world, out_node["uuid"], in_node["uuid"])
        assert response.status_code == 201, response.get_json()
        assert listener.wait_for(1) == [(f"{domain}/input_base_topic/{receiver['uuid']}/schema_update/pepeunit",
                                         b'{"COMMAND": "SchemaUpdate"}')]
    edge = response.get_json()
    assert edge["node_output_uuid"] == out_node["uuid"] and edge["node_input_uuid"] == in_node["uuid"]
    with unit_world.app.app_context():
        assert acl_generation.current() > generation
        pairs = {(p.agent_uuid, p.resource_uuid) for p in db.session.query(Permission).all()}
        assert (uuid.UUID(sender["uuid"]), uuid.UUID(in_node["uuid"])) in pairs
        assert (uuid.UUID(receiver["uuid"]), uuid.UUID(out_node["uuid"])) in pairs
        assert (uuid.UUID(sender["uuid"]), uuid.UUID(receiver["uuid"])) in pairs
    schema = unit_world.client.get(f"{API}/units/get_current_schema/{receiver['uuid']}",
                                   headers=auth(unit_world.token)).get_json()
    assert schema["input_topic"]["input/pepeunit"] == [f"{domain}/{in_node['uuid']}/pepeunit",
                                                       f"{domain}/{out_node['uuid']}/pepeunit"]
    assert _edge(unit_world, out_node["uuid"], in_node["uuid"]).get_json()["detail"] == \
        "422: 8: UnitNode Validation Error: Edge exist"
    wrong = _edge(unit_world, in_node["uuid"], out_node["uuid"])
    assert wrong.get_json()["detail"] == f"422: 8: UnitNode Validation Error: This Node {in_node['uuid']} is not Output"
    assert _edge(unit_world, str(uuid.uuid4()), in_node["uuid"]).status_code == 422
    _, stranger = new_user(unit_world.client, "stranger")
    assert _edge(unit_world, _nodes(unit_world, sender["uuid"])["raw_out"]["uuid"], in_node["uuid"],
                 token=stranger).status_code == 403  # only the input's owner routes data into it

    # the official client's get_input_by_output
    token = _unit_token(unit_world, sender["uuid"])
    linked = unit_world.client.get(f"{API}/unit_nodes", headers=auth(token), query_string={
        "order_by_create_date": "desc", "output_uuid": out_node["uuid"], "limit": 100, "offset": 0}).get_json()
    assert linked["count"] == 1 and linked["unit_nodes"][0]["uuid"] == in_node["uuid"]

    fed_by = unit_world.client.get(f"{API}/units", headers=auth(token), query_string={
        "is_include_output_unit_nodes": "true", "unit_node_input_uuid": in_node["uuid"]}).get_json()
    assert [(u["name"], [n["uuid"] for n in u["unit_nodes"]]) for u in fed_by["units"]] == [
        ("sender", [out_node["uuid"]])]

    with unit_world.app.app_context():
        agent = agent_from_token(unit_world.token, unit_world.settings)
        unit_node_edges.delete_edge(agent, uuid.UUID(in_node["uuid"]), uuid.UUID(out_node["uuid"]))
        assert db.session.query(UnitNodeEdge).count() == 0
        pairs = {(p.agent_uuid, p.resource_uuid) for p in db.session.query(Permission).all()}
        assert (uuid.UUID(sender["uuid"]), uuid.UUID(in_node["uuid"])) not in pairs


def test_max_connections(unit_world):
    sender = unit_world.create_unit("sender")
    receiver = unit_world.create_unit("receiver")
    outs, ins = _nodes(unit_world, sender["uuid"]), _nodes(unit_world, receiver["uuid"])
    patched = unit_world.client.patch(f"{API}/unit_nodes/{ins['input/pepeunit']['uuid']}",
                                      json={"max_connections": 1}, headers=auth(unit_world.token))
    assert patched.status_code == 200 and patched.get_json()["max_connections"] == 1
    assert _edge(unit_world, outs["output/pepeunit"]["uuid"], ins["input/pepeunit"]["uuid"]).status_code == 201
    full = _edge(unit_world, outs["raw_out"]["uuid"], ins["input/pepeunit"]["uuid"])
    assert full.get_json()["detail"] == ("422: 8: UnitNode Validation Error: Maximum number of incoming connections "
                                         f"(1) reached for input node {ins['input/pepeunit']['uuid']}")
    unit_world.client.patch(f"{API}/unit_nodes/{outs['raw_out']['uuid']}", json={"max_connections": 1},
                            headers=auth(unit_world.token))
    assert _edge(unit_world, outs["raw_out"]["uuid"], ins["raw_in"]["uuid"]).status_code == 201
    out_full = _edge(unit_world, outs["raw_out"]["uuid"], _nodes(unit_world, sender["uuid"])["raw_in"]["uuid"])
    assert "Maximum number of outgoing connections (1) reached for output node" in out_full.get_json()["detail"]


def test_node_update_rules(unit_world):
    unit = unit_world.create_unit("unit-one", visibility_level="Internal")
    nodes = _nodes(unit_world, unit["uuid"], unit_world.token)
    client, token = unit_world.client, unit_world.token
    out_uuid, raw_in = nodes["output/pepeunit"]["uuid"], nodes["raw_in"]["uuid"]
    cases = [
        (out_uuid, {"is_rewritable_input": True}, f"422: 8: UnitNode Validation Error: This Node {out_uuid} is not Input"),
        (raw_in, {"is_data_pipe_active": True},
         "422: 8: DataPipe Validation Error: DataPipe cannot be activated if the topic does not have the suffix /pepeunit"),
        (raw_in, {"max_connections": 0}, "422: 8: UnitNode Validation Error: max_connections must be at least 1"),
        (raw_in, {"visibility_level": "Public"}, "422: 2: Validation Error: The visibility level of the parent "
                                                  "object Unit is lower than that of the child object UnitNode"),
    ]
    for node_uuid, body, detail in cases:
        response = client.patch(f"{API}/unit_nodes/{node_uuid}", json=body, headers=auth(token))
        assert response.get_json()["detail"] == detail
    ok = client.patch(f"{API}/unit_nodes/{raw_in}", json={"visibility_level": "Private", "is_rewritable_input": True},
                      headers=auth(token)).get_json()
    assert ok["visibility_level"] == "Private" and ok["is_rewritable_input"] is True
    assert client.get(f"{API}/unit_nodes/{raw_in}").status_code == 403
    assert client.get(f"{API}/unit_nodes/{uuid.uuid4()}").get_json()["detail"] == \
        "422: 2: Validation Error: The object does not exist"
    _, stranger = new_user(client, "stranger")
    assert client.patch(f"{API}/unit_nodes/{raw_in}", json={"max_connections": 3},
                        headers=auth(stranger)).status_code == 403


def test_set_state_input_publishes_and_keeps_other_columns(unit_world):
    unit = unit_world.create_unit("unit-one")
    other = unit_world.create_unit("unit-two")
    nodes = _nodes(unit_world, unit["uuid"])
    in_uuid = nodes["input/pepeunit"]["uuid"]
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    client.patch(f"{API}/unit_nodes/{in_uuid}", json={"max_connections": 4}, headers=auth(token))
    with Listener(f"{domain}/{in_uuid}/#") as listener:
        response = client.patch(f"{API}/unit_nodes/set_state_input/{in_uuid}", json={"state": "42"},
                                headers=auth(token))
        assert response.status_code == 200
        assert listener.wait_for(1) == [(f"{domain}/{in_uuid}/pepeunit", b"42")]
    body = response.get_json()
    assert body["state"] == "42" and body["max_connections"] == 4 and body["visibility_level"] == "Public"
    other_token = _unit_token(unit_world, other["uuid"])
    denied = client.patch(f"{API}/unit_nodes/set_state_input/{in_uuid}", json={"state": "1"},
                          headers=auth(other_token))
    assert denied.get_json()["detail"] == "403: 1: No Access: The Unit requesting the information does not have access to it"
    out_uuid = nodes["output/pepeunit"]["uuid"]
    assert client.patch(f"{API}/unit_nodes/set_state_input/{out_uuid}", json={"state": "1"},
                        headers=auth(token)).get_json()["detail"] == \
        f"422: 8: UnitNode Validation Error: This Node {out_uuid} is not Input"
    too_big = "x" * (unit_world.settings.PU_MQTT_MAX_PAYLOAD_SIZE * 1024 + 1)
    big = client.patch(f"{API}/unit_nodes/set_state_input/{in_uuid}", json={"state": too_big}, headers=auth(token))
    assert big.status_code == 422 and "MQTT Error: Payload size is" in big.get_json()["detail"]
    assert client.get(f"{API}/unit_nodes/{in_uuid}").get_json()["state"] == "42"


def test_broker_outage_answers_503_at_once_and_reads_stay_fast(unit_world, monkeypatch):
    """Issue 12 item 7: with the broker down, a publish fails fast with 503 and a GET is not held up."""
    unit = unit_world.create_unit("unit-one")
    in_uuid = _nodes(unit_world, unit["uuid"])["input/pepeunit"]["uuid"]
    with socket.socket() as sock:  # a port nobody listens on: the broker is "down"
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = dataclasses.replace(unit_world.settings, PU_MQTT_PORT=port)
    monkeypatch.setitem(unit_world.app.config, "PU_SETTINGS", down)
    publisher.connect_early(down)  # as a worker does when it starts
    outage = publisher.get_publisher(down)
    try:
        deadline = time.monotonic() + 10
        while not outage.known_down and time.monotonic() < deadline:
            time.sleep(0.05)
        assert outage.known_down
        client, token = unit_world.client, unit_world.token
        started = time.monotonic()
        response = client.patch(f"{API}/unit_nodes/set_state_input/{in_uuid}", json={"state": "42"},
                                headers=auth(token))
        assert time.monotonic() - started < 3
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.get_json()["detail"] == (
            f"503: 17: Service Unavailable: MQTT broker is unreachable, message to topic "
            f"{down.PU_DOMAIN}/{in_uuid}/pepeunit not sent; retry later")
        started = time.monotonic()
        assert client.get(f"{API}/units", headers=auth(token)).status_code == 200
        assert time.monotonic() - started < 3
    finally:
        outage.close()


def test_unit_list_filters_and_nodes(unit_world):
    one = unit_world.create_unit("alpha")
    two = unit_world.create_unit("beta", visibility_level="Private")
    three = unit_world.create_unit("gamma", visibility_level="Internal")
    client, token = unit_world.client, unit_world.token

    def names(query, who=None):
        body = client.get(f"{API}/units", query_string=query, headers=auth(who)).get_json()
        return [u["name"] for u in body["units"]], body

    assert names({})[0] == ["alpha"]  # anonymous: Public only
    assert names({}, token)[0] == ["alpha", "beta", "gamma"]
    _, stranger = new_user(client, "stranger")
    assert names({}, stranger)[0] == ["alpha", "gamma"]
    unit_token = _unit_token(unit_world, one["uuid"])
    assert names({}, unit_token)[0] == ["alpha", "gamma"]
    assert names({"order_by_unit_name": "desc"}, token)[0] == ["gamma", "beta", "alpha"]
    assert names({"search_string": "amm"}, token)[0] == ["gamma"]
    assert names({"visibility_level": ["Private"]}, token)[0] == ["beta"]
    assert names({"uuids": [one["uuid"], three["uuid"]]}, token)[0] == ["alpha", "gamma"]
    assert names({"limit": 1, "offset": 1}, token)[1]["count"] == 3
    assert client.get(f"{API}/units", query_string={"limit": 501}).get_json()["detail"] == \
        "422: 2: Validation Error: limit must be <= 500"

    one_nodes = _nodes(unit_world, one["uuid"])
    three_nodes = _nodes(unit_world, three["uuid"], token)
    wanted = [one_nodes["output/pepeunit"]["uuid"], three_nodes["raw_out"]["uuid"], str(uuid.uuid4())]
    query = [("is_include_output_unit_nodes", "true"), ("order_by_unit_name", "asc"),
             ("order_by_create_date", "desc"), ("order_by_last_update", "desc"), ("limit", "100"), ("offset", "0")]
    query += [("unit_node_uuids", u) for u in wanted]
    body = client.get(f"{API}/units", query_string=query, headers=auth(unit_token)).get_json()
    assert body["count"] == 2
    assert [(u["name"], [n["uuid"] for n in u["unit_nodes"]]) for u in body["units"]] == [
        ("alpha", [wanted[0]]), ("gamma", [wanted[1]])]
    every = client.get(f"{API}/units", headers=auth(token), query_string={
        "is_include_output_unit_nodes": "true", "unit_node_type": "Output"}).get_json()
    assert {u["name"]: len(u["unit_nodes"]) for u in every["units"]} == {"alpha": 2, "beta": 2, "gamma": 2}
    assert json.dumps(two)  # created fine


def test_concurrent_edges_respect_max_connections(unit_world):
    import threading

    receiver = unit_world.create_unit("receiver")
    senders = [unit_world.create_unit(f"sender{i}") for i in range(4)]
    in_uuid = _nodes(unit_world, receiver["uuid"])["raw_in"]["uuid"]
    unit_world.client.patch(f"{API}/unit_nodes/{in_uuid}", json={"max_connections": 2}, headers=auth(unit_world.token))
    outs = [_nodes(unit_world, s["uuid"])["raw_out"]["uuid"] for s in senders]
    statuses, barrier = [], threading.Barrier(len(outs))

    def link(out_uuid):
        client = unit_world.app.test_client()
        barrier.wait()
        statuses.append(client.post(f"{API}/unit_nodes/create_unit_node_edge", headers=auth(unit_world.token), json={
            "node_output_uuid": out_uuid, "node_input_uuid": in_uuid}).status_code)

    threads = [threading.Thread(target=link, args=(o,)) for o in outs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 201, 422, 422]
    with unit_world.app.app_context():
        assert db.session.query(UnitNodeEdge).count() == 2


def test_openapi_lists_unit_routes(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    for path in ("/units", "/units/env/{uuid}", "/units/firmware/tgz/{uuid}", "/units/get_state_storage/{uuid}",
                 "/unit_nodes", "/unit_nodes/create_unit_node_edge", "/repos/update_units_firmware/{uuid}",
                 "/repos/bulk_update"):
        assert API + path in paths, path
