"""Units: compilable repos, schemas without command topics, hostile input, TOML upload over REST."""
import io
import json
import uuid
import zipfile

from pepeunit.extensions import db
from pepeunit.models import LogLevel, Repo, RepositoryRegistry, Unit
from pepeunit.models.columns import utcnow
from pepeunit.services import unit_logs
from tests.helpers import API, auth
from tests.mqtt_listener import Listener
from tests.unit_repo import SCHEMA


def _compilable(world, releases: dict):
    with world.app.app_context():
        repo = db.session.get(Repo, world.repo_uuid)
        repo.is_compilable_repo, repo.is_only_tag_update = True, True
        db.session.get(RepositoryRegistry, world.registry_uuid).releases_data = json.dumps(releases)
        db.session.commit()


def store_log(world, unit, text: str) -> None:
    """One stored Info log line of ``unit``, as if the unit had sent it."""
    with world.app.app_context():
        unit_logs.store([unit_logs.LogEntry(uuid.UUID(unit["uuid"]), LogLevel.INFO, text, utcnow())])
        db.session.commit()


def test_compilable_repo_platforms_archive_and_update_link(unit_world):
    _compilable(unit_world, {"v1.0.0": [["esp32.bin", "https://files.example/esp32.bin"],
                                        ["rp2040.uf2", "https://files.example/rp2040.uf2"]]})
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    body = {"repo_uuid": str(unit_world.repo_uuid), "visibility_level": "Public", "name": "unit-one",
            "is_auto_update_from_repo_unit": True, "target_firmware_platform": "stm32"}
    wrong = client.post(f"{API}/units", json=body, headers=auth(token))
    assert wrong.get_json()["detail"] == ("422: 5: Git Repo Validation Error: Not find platform stm32, available: "
                                          "['esp32.bin', 'rp2040.uf2']")
    unit = unit_world.create_unit("unit-one", target_firmware_platform="esp32.bin")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{API}/units/firmware/zip/{unit['uuid']}",
                                                    headers=auth(token)).data))
    assert sorted(archive.namelist()) == ["env.json", "schema.json"]
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/update/pepeunit") as listener:
        client.post(f"{API}/units/send_command_to_input_base_topic/{unit['uuid']}", query_string={"command": "Update"},
                    headers=auth(token))
        (_, payload), = listener.wait_for(1)
    version = client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(token)).get_json()
    assert json.loads(payload) == {"COMMAND": "Update", "PU_COMMIT_VERSION": version["commit"],
                                   "COMPILED_FIRMWARE_LINK": "https://files.example/esp32.bin"}
    unit_world.push({"main.py": "v2"}, "untagged work")
    assert client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(token)).get_json() == version


def test_command_without_schema_topic_sends_nothing(unit_world):
    unit_world.push({"schema_example.json": json.dumps({**SCHEMA, "input_base_topic": ["update/pepeunit"]})},
                    "no other commands", tag="v2.0.0")
    unit = unit_world.create_unit("unit-one")
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    store_log(unit_world, unit, "kept")
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/#") as listener:
        for command in ("EnvUpdate", "LogSync"):
            response = client.post(f"{API}/units/send_command_to_input_base_topic/{unit['uuid']}",
                                   query_string={"command": command}, headers=auth(token))
            assert response.status_code == 204
        assert listener.settle() == []
    logs = client.get(f"{API}/units/log_list/", query_string={"uuid": unit["uuid"]}, headers=auth(token)).get_json()
    assert [row["text"] for row in logs["unit_logs"]] == ["kept"]  # nothing was sent, so nothing was cleared


def test_log_sync_clears_stored_logs_before_publishing(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    store_log(unit_world, unit, "old")
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/log_sync/pepeunit") as listener:
        response = client.post(f"{API}/units/send_command_to_input_base_topic/{unit['uuid']}",
                               query_string={"command": "LogSync"}, headers=auth(token))
        assert response.status_code == 204
        assert [json.loads(p) for _, p in listener.settle()] == [{"COMMAND": "LogSync"}]
    logs = client.get(f"{API}/units/log_list/", query_string={"uuid": unit["uuid"]}, headers=auth(token)).get_json()
    assert logs["count"] == 0


def test_hostile_input_changes_nothing(unit_world):
    unit = unit_world.create_unit("unit-one")
    other = unit_world.create_unit("unit-two")
    client, token = unit_world.client, unit_world.token
    unit_token = client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(token)).get_json()["PU_AUTH_TOKEN"]
    for path in (f"/units/get_state_storage/{other['uuid']}", f"/units/firmware/tgz/{other['uuid']}",
                 f"/units/get_current_schema/{other['uuid']}", f"/units/get_target_version/{other['uuid']}"):
        response = client.get(API + path, headers=auth(unit_token))
        assert response.status_code == 403, path
    assert client.post(f"{API}/units/set_state_storage/{other['uuid']}", json={"state": "x"},
                       headers=auth(unit_token)).status_code == 403
    assert client.post(f"{API}/units/send_command_to_input_base_topic/{other['uuid']}",
                       query_string={"command": "Update"}, headers=auth(unit_token)).status_code == 403
    for path in ("/units/env/", "/units/get_state_storage/", "/units/firmware/zip/", "/units/get_current_schema/"):
        assert client.get(f"{API}{path}{uuid.uuid4()}", headers=auth(token)).status_code == 422
        assert client.get(f"{API}{path}not-a-uuid", headers=auth(token)).status_code == 404
    bad_bodies = [("patch", f"/units/{unit['uuid']}", {"name": 5}), ("patch", f"/units/{unit['uuid']}", {"name": ""}),
                  ("patch", f"/units/{unit['uuid']}", {"visibility_level": "Everyone"}),
                  ("patch", f"/units/env/{unit['uuid']}", {"env_json_string": {"a": 1}}),
                  ("post", "/unit_nodes/create_unit_node_edge", {"node_output_uuid": "x", "node_input_uuid": 1}),
                  ("patch", f"/unit_nodes/set_state_input/{uuid.uuid4()}", {"state": "1"})]
    for method, path, body in bad_bodies:
        response = getattr(client, method)(API + path, json=body, headers=auth(token))
        assert 400 <= response.status_code < 500 and "detail" in response.get_json(), (path, body)
    assert client.get(f"{API}/units", query_string={"unit_node_uuids": "nope"}).status_code == 422
    assert client.get(f"{API}/units", query_string={"is_include_output_unit_nodes": "perhaps"}).status_code == 422
    got = client.get(f"{API}/units/{unit['uuid']}").get_json()
    assert got["name"] == "unit-one" and got["visibility_level"] == "Public"

    client.delete(f"{API}/units/{unit['uuid']}", headers=auth(token))
    gone = client.get(f"{API}/units/{other['uuid']}", headers=auth(unit_token))
    assert gone.get_json()["detail"] == "403: 1: No Access: Unit not found"
    with unit_world.app.app_context():
        assert db.session.query(Unit).count() == 1


def test_convert_toml_to_md_over_rest(unit_world):
    client, token = unit_world.client, unit_world.token
    data = {"file": (io.BytesIO(b'[general]\nname = "Demo"\n'), "pepeunit.toml")}
    response = client.post(f"{API}/units/convert_toml_to_md", data=data, headers=auth(token),
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.data == b"# Demo\n"
    bad = client.post(f"{API}/units/convert_toml_to_md", headers=auth(token), content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"= broken"), "pepeunit.toml")})
    assert bad.status_code == 422 and bad.get_json()["detail"].startswith(
        "422: 16: Readme Generation Error: Error toml deserialization: ")
    assert client.post(f"{API}/units/convert_toml_to_md", headers=auth(token), data={},
                       content_type="multipart/form-data").status_code == 422
    anonymous = client.post(f"{API}/units/convert_toml_to_md", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(b""), "pepeunit.toml")})
    assert anonymous.status_code == 403
