"""The default LastValue pipe of new /pepeunit nodes, and data_pipe_status / data_pipe_error (Q1) as pipes
are switched on and off through updateUnitNode, over REST and GraphQL."""
from __future__ import annotations

import uuid

from pepeunit.extensions import db
from pepeunit.models import UnitNode
from pepeunit.services.datapipe import cache
from pepeunit.services.datapipe.pipe_config import DEFAULT_LAST_VALUE
from tests.helpers import API, auth, gql

DEFAULT_YAML = ("active_period:\n  type: Permanent\nfilters:\n  type_input_value: Text\n  max_rate: 5\n"
                "  last_unique_check: false\n  max_size: 100\nprocessing_policy:\n  policy_type: LastValue\n")
PIPE_FIELDS = ("is_data_pipe_active", "data_pipe_yml", "data_pipe_status", "data_pipe_error")


def _nodes(world, unit_uuid) -> dict:
    body = world.client.get(f"{API}/unit_nodes", query_string={"unit_uuid": unit_uuid},
                            headers=auth(world.token)).get_json()
    return {n["topic_name"]: n for n in body["unit_nodes"]}


def _pipe(node: dict) -> tuple:
    return tuple(node[name] for name in PIPE_FIELDS)


def _generation(world) -> int:
    with world.app.app_context():
        return cache.current_generation()


def _rest_switch(world, node_uuid, active: bool) -> tuple:
    response = world.client.patch(f"{API}/unit_nodes/{node_uuid}", json={"is_data_pipe_active": active},
                                  headers=auth(world.token))
    assert response.status_code == 200, response.get_json()
    return _pipe(response.get_json())


def _graphql_switch(world, node_uuid, active: bool) -> tuple:
    body = gql(world.client, "mutation($u: UUID!, $a: Boolean) { updateUnitNode(uuid: $u, unitNode: "
                             "{isDataPipeActive: $a}) { isDataPipeActive dataPipeYml dataPipeStatus dataPipeError } }",
               {"u": node_uuid, "a": active}, world.token)
    node = body["data"]["updateUnitNode"]
    return node["isDataPipeActive"], node["dataPipeYml"], node["dataPipeStatus"], node["dataPipeError"]


def test_new_pepeunit_nodes_get_the_default_last_value_pipe(unit_world):
    before = _generation(unit_world)
    unit = unit_world.create_unit("with-pipes")
    nodes = _nodes(unit_world, unit["uuid"])
    default = (True, DEFAULT_LAST_VALUE.to_stored(), "Active", None)
    assert _pipe(nodes["output/pepeunit"]) == default and _pipe(nodes["input/pepeunit"]) == default
    assert _pipe(nodes["raw_out"]) == _pipe(nodes["raw_in"]) == (False, None, None, None)
    assert _generation(unit_world) > before
    shown = unit_world.client.get(f"{API}/unit_nodes/get_data_pipe_config/{nodes['output/pepeunit']['uuid']}",
                                  headers=auth(unit_world.token))
    assert shown.get_data(as_text=True) == DEFAULT_YAML


def test_no_default_pipe_when_either_flag_is_off(unit_world, flags):
    flags(PU_FF_DATAPIPE_DEFAULT_LAST_VALUE_ENABLE=False)
    plain = _nodes(unit_world, unit_world.create_unit("no-default")["uuid"])
    flags(PU_FF_DATAPIPE_DEFAULT_LAST_VALUE_ENABLE=True, PU_FF_DATAPIPE_ENABLE=False)
    disabled = _nodes(unit_world, unit_world.create_unit("no-datapipe")["uuid"])
    for nodes in (plain, disabled):
        assert {name: _pipe(node) for name, node in nodes.items()} == {
            name: (False, None, None, None) for name in ("output/pepeunit", "input/pepeunit", "raw_out", "raw_in")}


def test_switching_a_pipe_writes_its_status_and_tells_the_caches(unit_world):
    nodes = _nodes(unit_world, unit_world.create_unit("switching")["uuid"])
    for switch, topic in ((_rest_switch, "output/pepeunit"), (_graphql_switch, "input/pepeunit")):
        node_uuid, generation = nodes[topic]["uuid"], _generation(unit_world)
        assert switch(unit_world, node_uuid, False) == (False, DEFAULT_LAST_VALUE.to_stored(), "Inactive", None)
        assert _generation(unit_world) > generation
        assert switch(unit_world, node_uuid, True) == (True, DEFAULT_LAST_VALUE.to_stored(), "Active", None)
        with unit_world.app.app_context():
            db.session.get(UnitNode, uuid.UUID(node_uuid)).data_pipe_yml = None
            db.session.commit()
        assert switch(unit_world, node_uuid, True) == (True, None, "Error", "Data pipe is not filled")
        with unit_world.app.app_context():
            db.session.get(UnitNode, uuid.UUID(node_uuid)).data_pipe_yml = '{"active_period": 5}'
            db.session.commit()
        active, _, status, error = switch(unit_world, node_uuid, True)
        assert (active, status) == (True, "Error") and error.startswith("Stored data pipe config cannot run")


def test_other_node_changes_leave_the_pipe_status_alone(unit_world):
    nodes = _nodes(unit_world, unit_world.create_unit("untouched")["uuid"])
    node_uuid = nodes["output/pepeunit"]["uuid"]
    generation = _generation(unit_world)
    response = unit_world.client.patch(f"{API}/unit_nodes/{node_uuid}", json={"max_connections": 4},
                                       headers=auth(unit_world.token))
    assert _pipe(response.get_json()) == (True, DEFAULT_LAST_VALUE.to_stored(), "Active", None)
    assert _generation(unit_world) == generation


def test_a_refused_activation_changes_nothing(unit_world):
    nodes = _nodes(unit_world, unit_world.create_unit("refused")["uuid"])
    generation = _generation(unit_world)
    response = unit_world.client.patch(f"{API}/unit_nodes/{nodes['raw_out']['uuid']}",
                                       json={"is_data_pipe_active": True}, headers=auth(unit_world.token))
    assert response.status_code == 422
    assert _pipe(_nodes(unit_world, nodes["raw_out"]["unit_uuid"])["raw_out"]) == (False, None, None, None)
    assert _generation(unit_world) == generation


def test_deleting_a_unit_tells_the_caches_its_pipes_are_gone(unit_world):
    unit = unit_world.create_unit("going")
    generation = _generation(unit_world)
    response = unit_world.client.delete(f"{API}/units/{unit['uuid']}", headers=auth(unit_world.token))
    assert response.status_code == 204
    assert _generation(unit_world) > generation
