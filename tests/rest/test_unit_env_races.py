"""A user's env change against a repo update of the same unit: the change is never lost.

The repo update re-synchronises a unit whose version moves (nodes, then the stored env); a
``PATCH /units/env`` landing during its git work must survive, and a unit already on its
target is left alone.
"""
import json
import threading
import uuid

from pepeunit.extensions import db
from pepeunit.models import Unit
from pepeunit.services import units
from tests.helpers import API, auth
from tests.mqtt_listener import Listener

ROUNDS = 20


def _set_env(client, token, unit_uuid, value):
    response = client.patch(f"{API}/units/env/{unit_uuid}", json={"env_json_string": json.dumps({"DEV_KEY": value})},
                            headers=auth(token))
    assert response.status_code == 204, response.get_json()


def _env(client, token, unit_uuid) -> dict:
    response = client.get(f"{API}/units/env/{unit_uuid}", headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _update_units(client, world):
    response = client.patch(f"{API}/repos/update_units_firmware/{world.repo_uuid}", headers=auth(world.token))
    assert response.status_code == 204, response.get_json()


def _stored_cipher(world, unit_uuid):
    with world.app.app_context():
        return db.session.get(Unit, uuid.UUID(unit_uuid)).cipher_env_dict


def test_env_written_during_the_git_work_of_an_update_survives(unit_world, monkeypatch):
    unit = unit_world.create_unit("unit-one")
    client, token = unit_world.client, unit_world.token
    _set_env(client, token, unit["uuid"], "before")
    reached, go = threading.Event(), threading.Event()
    read_schema = units.read_schema_example

    def slow_read(git, commit):  # the update thread stops in its git work until the user has saved
        if threading.current_thread().name == "updater":
            reached.set()
            assert go.wait(20)
        return read_schema(git, commit)

    monkeypatch.setattr(units, "read_schema_example", slow_read)
    updater = threading.Thread(target=_update_units, args=(unit_world.app.test_client(), unit_world),
                               name="updater")
    updater.start()
    try:
        assert reached.wait(20)
        _set_env(client, token, unit["uuid"], "during")
    finally:
        go.set()
        updater.join(30)
    assert not updater.is_alive()
    assert _env(client, token, unit["uuid"])["DEV_KEY"] == "during"


def test_env_changes_race_repo_updates_and_are_never_lost(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    unit_token = _env(client, token, unit["uuid"])["PU_AUTH_TOKEN"]
    _set_env(client, token, unit["uuid"], "round-start")
    env_update_topic = f"{domain}/input_base_topic/{unit['uuid']}/env_update/pepeunit"
    with Listener(env_update_topic) as listener:
        for n in range(ROUNDS):
            value = f"round-{n}"
            start = threading.Barrier(2, timeout=20)
            errors = []

            def run(action, *args, errors=errors, start=start):
                try:
                    start.wait()
                    action(unit_world.app.test_client(), *args)
                except BaseException as error:  # reported by the main thread
                    errors.append(error)

            threads = [threading.Thread(target=run, args=(_update_units, unit_world)),
                       threading.Thread(target=run, args=(_set_env, token, unit["uuid"], value))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert not errors and not any(t.is_alive() for t in threads), errors
            # What a unit does on EnvUpdate: fetch its env with its own token; it must carry the new value.
            response = client.post(f"{API}/units/send_command_to_input_base_topic/{unit['uuid']}",
                                   query_string={"command": "EnvUpdate"}, headers=auth(token))
            assert response.status_code == 204
            assert len(listener.wait_for(n + 1)) == n + 1
            assert _env(client, unit_token, unit["uuid"])["DEV_KEY"] == value, f"round {n}"


def test_unit_already_on_its_target_is_left_alone(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    _set_env(client, token, unit["uuid"], "mine")
    target = client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(token)).get_json()["commit"]
    with unit_world.app.app_context():
        db.session.get(Unit, uuid.UUID(unit["uuid"])).current_commit_version = target
        db.session.commit()
    stored = _stored_cipher(unit_world, unit["uuid"])
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/#") as listener:
        _update_units(client, unit_world)
        assert listener.settle(0.5) == []
    assert _stored_cipher(unit_world, unit["uuid"]) == stored
    assert client.get(f"{API}/units/{unit['uuid']}").get_json()["firmware_update_status"] is None
