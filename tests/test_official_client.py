"""The official Python client (pepeunit-client 1.3.0, pinned in requirements.txt) against
the app served over real HTTP, with a unit's generated env.json; MQTT through Mosquitto.

The client is used exactly as a unit uses it: its REST methods, its update flow
(download the tgz, unpack with zlib wbits 9 + tarfile, copy over the unit's
folder) and its MQTT dispatch of a real Update command.
"""
import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest
from pepeunit_client import PepeunitClient, RestartMode
from werkzeug.serving import make_server

from tests.helpers import API, auth
from tests.processes import free_port


@pytest.fixture
def served(unit_world, monkeypatch):
    """The app on 127.0.0.1:<free port>, with PU_DOMAIN pointing there (as env.json will)."""
    port = free_port()
    settings = dataclasses.replace(unit_world.app.config["PU_SETTINGS"], PU_DOMAIN=f"127.0.0.1:{port}")
    monkeypatch.setitem(unit_world.app.config, "PU_SETTINGS", settings)
    unit_world.settings = settings
    server = make_server("127.0.0.1", port, unit_world.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield unit_world
    server.shutdown()
    thread.join(10)


def _client_for(world, unit_uuid: str, folder: Path, mqtt: bool = False) -> PepeunitClient:
    folder.mkdir()
    env = world.client.get(f"{API}/units/env/{unit_uuid}", headers=auth(world.token)).get_json()
    (folder / "env.json").write_text(json.dumps(env))
    (folder / "schema.json").write_text("{}")
    return PepeunitClient(env_file_path=str(folder / "env.json"), schema_file_path=str(folder / "schema.json"),
                          log_file_path=str(folder / "log.json"), enable_mqtt=True, enable_rest=True,
                          restart_mode=RestartMode.NO_RESTART, ff_console_log_enable=False)


def test_official_client_rest_calls(served, tmp_path):
    world = served
    sender = world.create_unit("sender")
    receiver = world.create_unit("receiver")
    nodes = world.client.get(f"{API}/unit_nodes", query_string={"unit_uuid": sender["uuid"]}).get_json()["unit_nodes"]
    out_node = next(n for n in nodes if n["topic_name"] == "output/pepeunit")
    in_nodes = world.client.get(f"{API}/unit_nodes", query_string={"unit_uuid": receiver["uuid"]}).get_json()
    in_node = next(n for n in in_nodes["unit_nodes"] if n["topic_name"] == "input/pepeunit")
    assert world.client.post(f"{API}/unit_nodes/create_unit_node_edge", headers=auth(world.token), json={
        "node_output_uuid": out_node["uuid"], "node_input_uuid": in_node["uuid"]}).status_code == 201

    unit_dir = tmp_path / "device"
    client = _client_for(world, sender["uuid"], unit_dir)
    assert client.settings.unit_uuid == sender["uuid"]

    client.download_env(str(unit_dir / "env.json"))
    env = json.loads((unit_dir / "env.json").read_text())
    assert env["PU_DOMAIN"] == world.settings.PU_DOMAIN and env["PU_AUTH_TOKEN"] == client.settings.PU_AUTH_TOKEN
    assert client.settings.PU_COMMIT_VERSION == env["PU_COMMIT_VERSION"]

    client.download_schema(str(unit_dir / "schema.json"))
    schema = json.loads((unit_dir / "schema.json").read_text())
    assert client.schema.input_base_topic["update/pepeunit"] == [
        f"{world.settings.PU_DOMAIN}/input_base_topic/{sender['uuid']}/update/pepeunit"]
    assert schema["output_topic"]["output/pepeunit"] == [f"{world.settings.PU_DOMAIN}/{out_node['uuid']}/pepeunit"]

    archive = tmp_path / f"update_{sender['uuid']}.tar.gz"
    client.rest_client.download_update(str(archive))
    (unit_dir / "main.py").write_text("old")
    client.update_device_program(str(archive))
    assert (unit_dir / "main.py").read_text() == "print('hello')\n"
    assert (unit_dir / "lib" / "helper.py").read_text() == "VALUE = 1\n"
    assert not (unit_dir / "README.md").exists() and not (unit_dir / "secret").exists()
    assert not (unit_dir / ".pepeignore").exists() and not (unit_dir / "debug.log").exists()
    assert json.loads((unit_dir / "env.json").read_text())["PU_AUTH_TOKEN"] == env["PU_AUTH_TOKEN"]

    client.set_state_storage('{"counter": 7}')
    assert client.get_state_storage() == '"{\\"counter\\": 7}"'  # the JSON string literal, quotes included

    linked = client.rest_client.get_input_by_output(schema["output_topic"]["output/pepeunit"][0])
    assert linked["count"] == 1 and linked["unit_nodes"][0]["uuid"] == in_node["uuid"]
    units = client.rest_client.get_units_by_nodes([in_node["uuid"]])
    assert units["count"] == 1
    assert units["units"][0]["name"] == "receiver" and units["units"][0]["uuid"] == receiver["uuid"]
    assert [n["uuid"] for n in units["units"][0]["unit_nodes"]] == [in_node["uuid"]]


def _commit_version(env_file):
    """PU_COMMIT_VERSION of the device's env.json; None while the client is rewriting it
    (it writes and unpacks in place, so a read can see a half-written file)."""
    try:
        return json.loads(env_file.read_text()).get("PU_COMMIT_VERSION")
    except (OSError, ValueError):
        return None


def test_official_client_follows_an_update_command(served, tmp_path):
    world = served
    unit = world.create_unit("device-one")
    unit_dir = tmp_path / "device"
    client = _client_for(world, unit["uuid"], unit_dir)
    client.download_schema(str(unit_dir / "schema.json"))
    old_version = client.settings.PU_COMMIT_VERSION
    client.set_mqtt_input_handler(lambda c, msg: None)
    client.mqtt_client.connect()
    try:
        subscribed = unit_dir / "log.json"
        deadline = time.monotonic() + 10
        while "Resubscribed" not in (subscribed.read_text() if subscribed.exists() else ""):
            assert time.monotonic() < deadline, "the client never subscribed"
            time.sleep(0.05)
        new_sha = world.push({"main.py": "print('v2')\n"}, "version two")
        response = world.client.patch(f"{API}/repos/update_units_firmware/{world.repo_uuid}", headers=auth(world.token))
        assert response.status_code == 204
        env_file = unit_dir / "env.json"
        while _commit_version(env_file) != new_sha:
            assert time.monotonic() < deadline + 20, (old_version, (unit_dir / "log.json").read_text())
            time.sleep(0.05)
    finally:
        client.mqtt_client.disconnect()
    assert (unit_dir / "main.py").read_text() == "print('v2')\n"
