"""Units over REST: create/read/update/delete/list, env.json, schema.json, state storage, commands."""
import json
import uuid

import jwt

from pepeunit.extensions import db
from pepeunit.models import Permission, Unit, UnitNode
from pepeunit.services import crypto
from tests.helpers import API, auth, new_user
from tests.mqtt_listener import Listener
from tests.unit_repo import ENV_EXAMPLE, SCHEMA


def test_create_unit_makes_nodes_permissions_and_reads_back(unit_world):
    unit = unit_world.create_unit("unit-one")
    assert unit["name"] == "unit-one" and unit["unit_nodes"] == [] and unit["unit_state"] is None
    assert unit["repo_uuid"] == str(unit_world.repo_uuid) and unit["creator_uuid"] == unit_world.user["uuid"]
    with unit_world.app.app_context():
        nodes = db.session.query(UnitNode).filter_by(unit_uuid=uuid.UUID(unit["uuid"])).all()
        assert sorted((n.type.value, n.topic_name) for n in nodes) == [
            ("Input", "input/pepeunit"), ("Input", "raw_in"), ("Output", "output/pepeunit"), ("Output", "raw_out")]
        grants = db.session.query(Permission).filter(
            Permission.agent_uuid == uuid.UUID(unit["uuid"])).count()
        assert grants == 2 + 4  # unit -> repo, unit -> itself, unit -> each of its nodes
    got = unit_world.client.get(f"{API}/units/{unit['uuid']}")  # anonymous, Public
    assert got.status_code == 200 and got.get_json()["name"] == "unit-one"


def test_create_rejects_bad_input_and_changes_nothing(unit_world):
    client, token = unit_world.client, unit_world.token
    base = {"repo_uuid": str(unit_world.repo_uuid), "visibility_level": "Public", "name": "unit-one",
            "is_auto_update_from_repo_unit": True}
    cases = [
        ({**base, "name": "a b"}, 422, "422: 7: Unit Validation Error: Name is not correct"),
        ({**base, "repo_uuid": str(uuid.uuid4())}, 422, "422: 2: Validation Error: The object does not exist"),
        ({**base, "is_auto_update_from_repo_unit": False}, 422,
         "422: 7: Unit Validation Error: Unit updated manually requires branch and commit to be filled out"),
        ({**base, "is_auto_update_from_repo_unit": False, "repo_branch": "nope", "repo_commit": "a" * 40}, 422,
         "422: 5: Git Repo Validation Error: Branch nope not found, available: ['main']"),
        ({**base, "visibility_level": "Secret"}, 422, None),
        ({**base, "is_auto_update_from_repo_unit": "maybe"}, 422, None),
    ]
    for body, status, detail in cases:
        response = client.post(f"{API}/units", json=body, headers=auth(token))
        assert response.status_code == status, (body, response.get_json())
        if detail:
            assert response.get_json()["detail"] == detail
    assert client.post(f"{API}/units", json=base).status_code == 403  # anonymous
    unit_world.create_unit("unit-one")
    again = client.post(f"{API}/units", json=base, headers=auth(token))
    assert again.get_json()["detail"] == "422: 7: Unit Validation Error: Name is not unique"
    with unit_world.app.app_context():
        assert db.session.query(Unit).count() == 1


def test_unit_never_less_restrictive_than_repo(unit_world):
    with unit_world.app.app_context():
        from pepeunit.models import Repo, VisibilityLevel
        db.session.get(Repo, unit_world.repo_uuid).visibility_level = VisibilityLevel.INTERNAL
        db.session.commit()
    body = {"repo_uuid": str(unit_world.repo_uuid), "visibility_level": "Public", "name": "unit-one",
            "is_auto_update_from_repo_unit": True}
    response = unit_world.client.post(f"{API}/units", json=body, headers=auth(unit_world.token))
    assert response.get_json()["detail"] == ("422: 2: Validation Error: The visibility level of the parent object "
                                             "Repo is lower than that of the child object UnitCreate")
    unit = unit_world.create_unit("unit-one", visibility_level="Private")
    patched = unit_world.client.patch(f"{API}/units/{unit['uuid']}", json={"visibility_level": "Public"},
                                      headers=auth(unit_world.token))
    assert patched.status_code == 422
    assert unit_world.client.get(f"{API}/units/{unit['uuid']}").status_code == 403  # Private, anonymous


def test_env_json_layers_and_storage(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token = unit_world.client, unit_world.token
    env = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    assert isinstance(env, dict)
    assert list(env)[:3] == list(ENV_EXAMPLE)  # env_example order first
    assert env["PU_DOMAIN"] == unit_world.settings.PU_DOMAIN and env["PU_STATE_SEND_INTERVAL"] == 60
    assert env["PU_HTTP_TYPE"] == "http" and env["PU_MQTT_PORT"] == 1883 and env["PU_MAX_LOG_LENGTH"] == 64
    assert list(env)[-1] == "PU_COMMIT_VERSION" and len(env["PU_COMMIT_VERSION"]) == 40
    claims = jwt.decode(env["PU_AUTH_TOKEN"], unit_world.settings.PU_SECRET_KEY, algorithms=["HS256"])
    assert claims == {"uuid": unit["uuid"], "type": "Unit"}
    again = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    assert again["PU_SECRET_KEY"] != env["PU_SECRET_KEY"]  # random until saved
    assert again["PU_AUTH_TOKEN"] == env["PU_AUTH_TOKEN"]

    saved = {"DEV_KEY": "mine", "UNKNOWN": 1, "PU_COMMIT_VERSION": "x", "PU_MQTT_HOST": "broker.local"}
    response = client.patch(f"{API}/units/env/{unit['uuid']}", json={"env_json_string": json.dumps(saved)},
                            headers=auth(token))
    assert response.status_code == 204
    stored = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    assert stored["DEV_KEY"] == "mine" and stored["PU_MQTT_HOST"] == "broker.local" and "UNKNOWN" not in stored
    assert stored["PU_COMMIT_VERSION"] == env["PU_COMMIT_VERSION"]
    assert client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json() == stored  # frozen
    with unit_world.app.app_context():
        cipher = db.session.get(Unit, uuid.UUID(unit["uuid"])).cipher_env_dict
        assert "mine" not in cipher
        plain = json.loads(crypto.decrypt(cipher, unit_world.settings.PU_ENCRYPT_KEY))
        assert plain["DEV_KEY"] == "mine" and "PU_COMMIT_VERSION" not in plain

    for bad in ("not json", "[1, 2]"):
        response = client.patch(f"{API}/units/env/{unit['uuid']}", json={"env_json_string": bad}, headers=auth(token))
        assert response.get_json()["detail"] == "422: 9: JSON Decode Error: Data env.json is invalid"
    huge = json.dumps({"DEV_KEY": "x" * 1_000_001})
    response = client.patch(f"{API}/units/env/{unit['uuid']}", json={"env_json_string": huge}, headers=auth(token))
    assert response.status_code == 422 and "Cipher Error" in response.get_json()["detail"]
    assert client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json() == stored  # unchanged

    assert client.delete(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).status_code == 204
    reset = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    assert reset["DEV_KEY"] == "example" and reset["PU_SECRET_KEY"] != stored["PU_SECRET_KEY"]


def test_owner_or_self_only_for_private_things(unit_world):
    unit = unit_world.create_unit("unit-one")
    other = unit_world.create_unit("unit-two")
    client = unit_world.client
    _, stranger = new_user(client, "stranger")
    unit_token = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(unit_world.token)).get_json()["PU_AUTH_TOKEN"]
    assert client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(unit_token)).status_code == 200
    denied = client.get(f"{API}/units/env/{other['uuid']}", headers=auth(unit_token))
    assert denied.status_code == 403
    assert denied.get_json()["detail"] == "403: 1: No Access: The Unit unit-one requesting the information does not have access to it"
    assert client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(stranger)).get_json()["detail"] == \
        "403: 1: No Access: AgentUser is not creator this entity - Unit."
    assert client.get(f"{API}/units/env/{unit['uuid']}").status_code == 403
    missing = client.get(f"{API}/units/env/{uuid.uuid4()}", headers=auth(unit_world.token))
    assert missing.get_json()["detail"] == "422: 2: Validation Error: The object does not exist"
    # a unit token may not save env, change or delete units
    assert client.patch(f"{API}/units/env/{unit['uuid']}", json={"env_json_string": "{}"},
                        headers=auth(unit_token)).status_code == 403
    assert client.delete(f"{API}/units/{unit['uuid']}", headers=auth(unit_token)).status_code == 403
    assert client.delete(f"{API}/units/{unit['uuid']}", headers=auth(stranger)).status_code == 403
    assert client.get(f"{API}/units/{other['uuid']}", headers=auth(unit_token)).status_code == 200  # Public


def test_current_schema_and_target_version(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    schema = client.get(f"{API}/units/get_current_schema/{unit['uuid']}", headers=auth(token)).get_json()
    assert list(schema) == list(SCHEMA)
    assert schema["input_base_topic"]["update/pepeunit"] == [f"{domain}/input_base_topic/{unit['uuid']}/update/pepeunit"]
    assert schema["output_base_topic"]["state/pepeunit"] == [f"{domain}/output_base_topic/{unit['uuid']}/state/pepeunit"]
    nodes = client.get(f"{API}/unit_nodes", query_string={"unit_uuid": unit["uuid"]}).get_json()["unit_nodes"]
    by_name = {n["topic_name"]: n["uuid"] for n in nodes}
    assert schema["input_topic"] == {"input/pepeunit": [f"{domain}/{by_name['input/pepeunit']}/pepeunit"],
                                     "raw_in": [f"{domain}/{by_name['raw_in']}"]}
    assert schema["output_topic"]["raw_out"] == [f"{domain}/{by_name['raw_out']}"]
    version = client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(token)).get_json()
    env = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    assert version == {"commit": env["PU_COMMIT_VERSION"], "tag": "v1.0.0"}


def test_state_storage_round_trip(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token = unit_world.client, unit_world.token
    empty = client.get(f"{API}/units/get_state_storage/{unit['uuid']}", headers=auth(token))
    assert empty.status_code == 200 and empty.data == b'""' and empty.mimetype == "application/json"
    assert client.post(f"{API}/units/set_state_storage/{unit['uuid']}", json={"state": 'say "hi"'},
                       headers=auth(token)).status_code == 204
    got = client.get(f"{API}/units/get_state_storage/{unit['uuid']}", headers=auth(token))
    assert got.get_json() == 'say "hi"' and got.data.strip() == b'"say \\"hi\\""'
    for body in ({"state": {"a": 1}}, {"state": 5}, {}, {"state": "x" * 1_000_001}):
        response = client.post(f"{API}/units/set_state_storage/{unit['uuid']}", json=body, headers=auth(token))
        assert response.status_code == 422, body
    assert client.get(f"{API}/units/get_state_storage/{unit['uuid']}", headers=auth(token)).get_json() == 'say "hi"'
    assert client.post(f"{API}/units/set_state_storage/{unit['uuid']}", json={"state": ""},
                       headers=auth(token)).status_code == 204
    with unit_world.app.app_context():
        assert db.session.get(Unit, uuid.UUID(unit["uuid"])).cipher_state_storage is None


def test_commands_publish_exact_payloads(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    env = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/#") as listener:
        for command in ("Update", "EnvUpdate", "SchemaUpdate", "LogSync"):
            response = client.post(f"{API}/units/send_command_to_input_base_topic/{unit['uuid']}",
                                   query_string={"command": command}, headers=auth(env["PU_AUTH_TOKEN"]))
            assert response.status_code == 204, response.get_json()
        messages = listener.wait_for(4)
    base = f"{domain}/input_base_topic/{unit['uuid']}"
    assert messages == [
        (f"{base}/update/pepeunit",
         json.dumps({"COMMAND": "Update", "PU_COMMIT_VERSION": env["PU_COMMIT_VERSION"]}).encode()),
        (f"{base}/env_update/pepeunit", b'{"COMMAND": "EnvUpdate"}'),
        (f"{base}/schema_update/pepeunit", b'{"COMMAND": "SchemaUpdate"}'),
        (f"{base}/log_sync/pepeunit", b'{"COMMAND": "LogSync"}'),
    ]
    got = client.get(f"{API}/units/{unit['uuid']}").get_json()
    assert got["firmware_update_status"] == "RequestSent" and got["last_firmware_update_datetime"]
    bad = client.post(f"{API}/units/send_command_to_input_base_topic/{unit['uuid']}",
                      query_string={"command": "Reset"}, headers=auth(token))
    assert bad.status_code == 422


def test_delete_unit(unit_world):
    unit = unit_world.create_unit("unit-one")
    assert unit_world.client.delete(f"{API}/units/{unit['uuid']}", headers=auth(unit_world.token)).status_code == 204
    assert unit_world.client.get(f"{API}/units/{unit['uuid']}").status_code == 422
    with unit_world.app.app_context():
        assert db.session.query(UnitNode).count() == 0
