"""Units and unit nodes over GraphQL (v1.2 names), including a multipart upload in a query."""
import io
import json

from tests.helpers import GRAPHQL, auth, gql, gql_error, new_user
from tests.mqtt_listener import Listener

CREATE = """mutation($unit: UnitCreateInput!) { createUnit(unit: $unit) {
  __typename uuid name visibilityLevel isAutoUpdateFromRepoUnit unitState { millis } unitNodes { uuid } } }"""
UNITS_WITH_NODES = """query($f: UnitFilterInput!) { getUnits(filters: $f) { count units { name ...N } } }
fragment N on UnitType { unitNodes { __typename uuid topicName type } }"""


def _create(world, name, token=None, **fields):
    unit = {"repoUuid": str(world.repo_uuid), "visibilityLevel": "PUBLIC", "name": name,
            "isAutoUpdateFromRepoUnit": True, **fields}
    return gql(world.client, CREATE, {"unit": unit}, token or world.token)


def test_unit_life_cycle(unit_world):
    client, token = unit_world.client, unit_world.token
    body = _create(unit_world, "unit-one")
    unit = body["data"]["createUnit"]
    assert unit["__typename"] == "UnitType" and unit["visibilityLevel"] == "PUBLIC"
    assert unit["unitState"] is None and unit["unitNodes"] == []
    uuid = unit["uuid"]
    error = gql_error(_create(unit_world, "unit-one"))
    assert error == "422: 7: Unit Validation Error: Name is not unique"
    error = gql_error(_create(unit_world, "unit-two", visibilityLevel="PUBLIC", isAutoUpdateFromRepoUnit=False))
    assert error == "422: 7: Unit Validation Error: Unit updated manually requires branch and commit to be filled out"

    env = json.loads(gql(client, "query($u: UUID!) { getUnitEnv(uuid: $u) }", {"u": uuid}, token)["data"]["getUnitEnv"])
    assert env["DEV_KEY"] == "example" and len(env["PU_COMMIT_VERSION"]) == 40
    schema = json.loads(gql(client, "query($u: UUID!) { getUnitCurrentSchema(uuid: $u) }", {"u": uuid},
                            token)["data"]["getUnitCurrentSchema"])
    assert "update/pepeunit" in schema["input_base_topic"] and "state/pepeunit" in schema["output_base_topic"]
    version = gql(client, "query($u: UUID!) { getTargetVersion(uuid: $u) { __typename commit tag } }", {"u": uuid},
                  token)["data"]["getTargetVersion"]
    assert version == {"__typename": "TargetVersionType", "commit": env["PU_COMMIT_VERSION"], "tag": "v1.0.0"}

    assert gql(client, 'mutation($u: UUID!) { setStateStorage(uuid: $u, state: "{\\"a\\": 1}") { isNone } }',
               {"u": uuid}, token)["data"] == {"setStateStorage": {"isNone": True}}
    stored = gql(client, "query($u: UUID!) { getStateStorage(uuid: $u) }", {"u": uuid}, token)
    assert stored["data"]["getStateStorage"] == '{"a": 1}'

    assert gql(client, 'mutation($u: UUID!, $e: String!) { updateUnitEnv(uuid: $u, envJsonStr: $e) { isNone } }',
               {"u": uuid, "e": json.dumps({"DEV_KEY": "mine"})}, token)["data"]["updateUnitEnv"]["isNone"]
    bad = gql(client, 'mutation($u: UUID!) { updateUnitEnv(uuid: $u, envJsonStr: "nope") { isNone } }', {"u": uuid}, token)
    assert gql_error(bad) == "422: 9: JSON Decode Error: Data env.json is invalid"
    assert gql(client, 'mutation($u: UUID!) { resetUnitEnv(uuid: $u) { isNone } }', {"u": uuid}, token)["data"]

    updated = gql(client, 'mutation($u: UUID!) { updateUnit(uuid: $u, unit: {name: "renamed", visibilityLevel: INTERNAL})'
                  ' { name visibilityLevel firmwareUpdateStatus } }', {"u": uuid}, token)["data"]["updateUnit"]
    assert updated == {"name": "renamed", "visibilityLevel": "INTERNAL", "firmwareUpdateStatus": "REQUEST_SENT"}
    nodes = gql(client, 'query($u: UUID!) { getUnitNodes(filters: {unitUuid: $u}) { count unitNodes { visibilityLevel } } }',
                {"u": uuid}, token)["data"]["getUnitNodes"]
    assert nodes["count"] == 4 and {n["visibilityLevel"] for n in nodes["unitNodes"]} == {"INTERNAL"}

    anonymous = gql(client, "query($u: UUID!) { getUnit(uuid: $u) { name } }", {"u": uuid})
    assert gql_error(anonymous) == "403: 1: No Access: Internal visibility level is not allowed"
    assert gql(client, 'mutation($u: UUID!) { deleteUnit(uuid: $u) { isNone } }', {"u": uuid}, token)["data"]
    assert gql_error(gql(client, "query($u: UUID!) { getUnit(uuid: $u) { name } }", {"u": uuid}, token)) == \
        "422: 2: Validation Error: The object does not exist"


def test_get_units_loads_nodes_only_when_selected(unit_world):
    client, token = unit_world.client, unit_world.token
    _create(unit_world, "alpha")
    _create(unit_world, "beta")
    plain = gql(client, "query { getUnits(filters: {}) { count units { __typename name } } }", None, token)
    assert plain["data"]["getUnits"] == {"count": 2, "units": [{"__typename": "UnitType", "name": "alpha"},
                                                               {"__typename": "UnitType", "name": "beta"}]}
    with_nodes = gql(client, UNITS_WITH_NODES, {"f": {"unitNodeType": ["OUTPUT"]}}, token)["data"]["getUnits"]
    assert [len(u["unitNodes"]) for u in with_nodes["units"]] == [2, 2]
    assert {n["type"] for u in with_nodes["units"] for n in u["unitNodes"]} == {"OUTPUT"}
    assert with_nodes["units"][0]["unitNodes"][0]["__typename"] == "UnitNodeType"
    one = with_nodes["units"][0]["unitNodes"][0]["uuid"]
    narrowed = gql(client, UNITS_WITH_NODES, {"f": {"unitNodeUuids": [one]}}, token)["data"]["getUnits"]
    assert narrowed["count"] == 1 and [n["uuid"] for n in narrowed["units"][0]["unitNodes"]] == [one]
    too_many = gql(client, "query { getUnits(filters: {limit: 501}) { count } }", None, token)
    assert "limit must be <= 500" in gql_error(too_many)


def test_edges_nodes_and_commands(unit_world):
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    sender = _create(unit_world, "sender")["data"]["createUnit"]["uuid"]
    receiver = _create(unit_world, "receiver")["data"]["createUnit"]["uuid"]
    query = 'query($u: UUID!) { getUnitNodes(filters: {unitUuid: $u}) { unitNodes { uuid topicName } } }'
    outs = {n["topicName"]: n["uuid"] for n in gql(client, query, {"u": sender})["data"]["getUnitNodes"]["unitNodes"]}
    ins = {n["topicName"]: n["uuid"] for n in gql(client, query, {"u": receiver})["data"]["getUnitNodes"]["unitNodes"]}
    edge = gql(client, "mutation($o: UUID!, $i: UUID!) { createUnitNodeEdge(unitNodeEdge: "
               "{nodeOutputUuid: $o, nodeInputUuid: $i}) { __typename nodeOutputUuid nodeInputUuid } }",
               {"o": outs["output/pepeunit"], "i": ins["input/pepeunit"]}, token)["data"]["createUnitNodeEdge"]
    assert edge == {"__typename": "UnitNodeEdgeType", "nodeOutputUuid": outs["output/pepeunit"],
                    "nodeInputUuid": ins["input/pepeunit"]}
    linked = gql(client, 'query($o: UUID!) { getUnitNodes(filters: {outputUuid: $o}) { count unitNodes { uuid } } }',
                 {"o": outs["output/pepeunit"]})["data"]["getUnitNodes"]
    assert linked == {"count": 1, "unitNodes": [{"uuid": ins["input/pepeunit"]}]}
    with Listener(f"{domain}/input_base_topic/{receiver}/#") as listener:
        deleted = gql(client, "mutation($i: UUID!, $o: UUID!) { deleteUnitNodeEdge(inputUuid: $i, outputUuid: $o)"
                      " { isNone } }", {"i": ins["input/pepeunit"], "o": outs["output/pepeunit"]}, token)
        assert deleted["data"]["deleteUnitNodeEdge"]["isNone"]
        gql(client, 'mutation($u: UUID!) { sendCommandToInputBaseTopic(uuid: $u, command: ENV_UPDATE) { isNone } }',
            {"u": receiver}, token)
        topics = [t for t, _ in listener.wait_for(2)]
    assert topics == [f"{domain}/input_base_topic/{receiver}/schema_update/pepeunit",
                      f"{domain}/input_base_topic/{receiver}/env_update/pepeunit"]
    changed = gql(client, 'mutation($n: UUID!) { updateUnitNode(uuid: $n, unitNode: {isRewritableInput: true, '
                  'maxConnections: 3}) { isRewritableInput maxConnections } }', {"n": ins["raw_in"]}, token)
    assert changed["data"]["updateUnitNode"] == {"isRewritableInput": True, "maxConnections": 3}
    with Listener(f"{domain}/{ins['raw_in']}") as listener:
        state = gql(client, 'mutation($n: UUID!) { setStateUnitNodeInput(uuid: $n, unitNode: {state: "on"}) '
                    '{ state } }', {"n": ins["raw_in"]}, token)
        assert state["data"]["setStateUnitNodeInput"] == {"state": "on"}
        assert listener.wait_for(1) == [(f"{domain}/{ins['raw_in']}", b"on")]
    missing = gql(client, 'query($n: UUID!) { getUnitNode(uuid: $n) { uuid } }', {"n": sender})
    assert gql_error(missing) == "422: 2: Validation Error: The object does not exist"
    _, plain = new_user(client, "plainuser")
    assert gql_error(gql(client, "mutation { bulkUpdate { isNone } }", None, plain)).startswith("403: 1: No Access")
    with Listener(f"{domain}/input_base_topic/{sender}/update/pepeunit") as listener:
        done = gql(client, "mutation($r: UUID!) { updateUnitsFirmware(uuid: $r) { isNone } }",
                   {"r": str(unit_world.repo_uuid)}, token)
        assert done["data"]["updateUnitsFirmware"]["isNone"] and len(listener.wait_for(1)) == 1


def test_convert_toml_to_md_query_with_multipart_upload(unit_world):
    operations = {"query": "query($file: Upload!) { getConvertTomlToMd(file: $file) }", "variables": {"file": None}}
    toml = b'[general]\nname = "Demo"\nlanguage = "python"\n[work_algorithm]\nsteps = ["read", "send"]\n'
    response = unit_world.client.post(GRAPHQL, headers=auth(unit_world.token), data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
        "0": (io.BytesIO(toml), "pepeunit.toml")}, content_type="multipart/form-data")
    assert response.status_code == 200
    markdown = response.get_json()["data"]["getConvertTomlToMd"]
    assert markdown == ("# Demo\n\nParameter | Implementation\n-- | --\nLang | `python`\n\n"
                        "## Work algorithm\n\n1. read\n2. send\n")
    big = unit_world.client.post(GRAPHQL, headers=auth(unit_world.token), data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
        "0": (io.BytesIO(b"#" * 10001), "pepeunit.toml")}, content_type="multipart/form-data")
    assert gql_error(big.get_json()) == "422: 16: Readme Generation Error: toml is too large (10001) limit 10000 characters"
    broken_map = unit_world.client.post(GRAPHQL, data={"operations": json.dumps(operations), "map": "{\"0\": [\"x.y\"]}",
                                                       "0": (io.BytesIO(toml), "t.toml")}, content_type="multipart/form-data")
    assert broken_map.status_code == 400
