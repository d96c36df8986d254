"""End to end: the official client ``pepeunit-client`` as real units, through the dev broker.

Nothing is in-process: the backend runs under gunicorn (3 workers, post_fork runtime, so
the MQTT consumer is whichever worker wins the lease), the broker is ``flask devbroker``
(amqtt asking our hook), the unit repository is served over HTTP by ``git http-backend``,
and PostgreSQL and Redis are the real ones. The test only talks HTTP to the backend, git to
the repository and drives the devices through the client's own API, as a unit's firmware
does: env.json from ``GET /units/env``, its schema with its own token, connect with its JWT.

One scenario, three devices (A, B, C) of one repo:

- A's output is linked to B's input by an edge made after B connected: B gets SchemaUpdate,
  reloads its schema, subscribes to A's output and receives A's value through the broker;
- C (no edge) publishing into B's input is dropped by the broker: B, subscribed to that
  topic, never sees it, although it sees what C and A send afterwards;
- a new tagged commit is pushed, the user syncs the registry and updates the repo's units:
  A (the only auto-updated unit) receives Update, downloads and unpacks the archive
  (restart mode ENV_SCHEMA_ONLY, so it reloads the new env.json), reports the new version
  in its state, and the backend marks the update Success; its logs are in the log list.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import requests
from pepeunit_client import PepeunitClient, RestartMode
from pepeunit_client.pepeunit_mqtt_client import PepeunitMqttClient

from ..git_server import UnitRepo
from ..helpers import API, PASSWORD, make_test_environ, wait_until
from ..processes import DevBroker, Gunicorn, free_port
from ..unit_repo import ENV_EXAMPLE, FILES, PEPEIGNORE, SCHEMA

STATE_INTERVAL = 3  # s between the devices' state messages (the backend's PU_STATE_SEND_INTERVAL)
WAIT = 30.0  # s any single step may take before the test fails


def wait_for(what: str, predicate, timeout: float = WAIT, details=lambda: ""):
    """``wait_until`` that fails naming ``what`` (and ``details()``) instead of returning a falsy value."""
    value = wait_until(predicate, timeout, step=0.1)
    if not value:
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{details()}")
    return value


class Backend:
    """The backend's REST API over HTTP, as the user's browser or a script uses it."""

    def __init__(self, url: str):
        self.base = url + API
        self.http = requests.Session()
        self.token: str | None = None

    def call(self, method: str, path: str, expected: int = 200, token: str | None = None, **kwargs):
        headers = {"x-auth-token": token or self.token} if (token or self.token) else {}
        response = self.http.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def sign_up(self, login: str) -> dict:
        user = self.call("POST", "/users", 201, json={"login": login, "password": PASSWORD})
        self.token = self.call("POST", "/users/auth", json={"credentials": login, "password": PASSWORD})["token"]
        return user

    def unit(self, uuid: str) -> dict:
        return self.call("GET", f"/units/{uuid}")

    def node(self, unit_uuid: str, topic_name: str) -> dict:
        nodes = self.call("GET", "/unit_nodes", params={"unit_uuid": unit_uuid})["unit_nodes"]
        return next(n for n in nodes if n["topic_name"] == topic_name)

    def log_texts(self, unit_uuid: str) -> list[str]:
        page = self.call("GET", "/units/log_list/", params={"uuid": unit_uuid, "limit": 500})
        return [row["text"] for row in page["unit_logs"]]


class _ObservedMqtt(PepeunitMqttClient):
    """The client's own MQTT client; the test only listens to SUBACKs to know when a subscription holds."""

    def __init__(self, *args, on_suback):
        super().__init__(*args)
        self._on_suback = on_suback

    def _get_client(self):
        client = super()._get_client()
        client.on_subscribe = lambda client_, userdata, mid, granted: self._on_suback(list(granted))
        return client


class _Client(PepeunitClient):
    """``PepeunitClient`` with the MQTT client above (the documented way to bring one's own)."""

    def __init__(self, *args, on_suback, **kwargs):
        self._on_suback = on_suback
        super().__init__(*args, **kwargs)

    def _get_default_mqtt_client(self):
        return _ObservedMqtt(self.settings, self.schema, self.logger, on_suback=self._on_suback)


class Device:
    """One unit running the official client in ``folder``: MQTT input handler, main cycle thread."""

    def __init__(self, backend: Backend, unit: dict, folder: Path):
        self.uuid, self.folder = unit["uuid"], folder
        folder.mkdir()
        (folder / "env.json").write_text(json.dumps(backend.call("GET", f"/units/env/{self.uuid}")))
        (folder / "schema.json").write_text("{}")
        self.received: list[tuple[str, str]] = []
        self.subacks: list[list[int]] = []
        self.client = _Client(env_file_path=str(folder / "env.json"), schema_file_path=str(folder / "schema.json"),
                              log_file_path=str(folder / "log.json"), enable_mqtt=True, enable_rest=True,
                              restart_mode=RestartMode.ENV_SCHEMA_ONLY, ff_console_log_enable=False,
                              on_suback=self.subacks.append)
        self.client.download_schema(str(folder / "schema.json"))  # with the unit's own token
        self.client.set_mqtt_input_handler(lambda client, msg: self.received.append((msg.topic, msg.payload)))
        self._cycle = threading.Thread(target=self.client.run_main_cycle, name=f"unit-{self.uuid}", daemon=True)

    def input_topics(self) -> list[str]:
        return [t for group in (self.client.schema.input_base_topic, self.client.schema.input_topic)
                for topics in group.values() for t in topics]

    def start(self) -> None:
        """Connect with the unit's JWT; return once the broker granted every subscription."""
        self.client.mqtt_client.connect()
        wanted = len(self.input_topics())
        wait_for(f"unit {self.uuid} to hold its {wanted} subscriptions", lambda: len(self.subacks) >= wanted,
                 details=self.log)
        assert all(code != 0x80 for granted in self.subacks for code in granted), self.subacks
        self._cycle.start()

    def stop(self) -> None:
        self.client.stop_main_cycle()
        if self._cycle.is_alive():
            self._cycle.join(5)
        self.client.mqtt_client.disconnect()  # a no-op when it never connected

    def payloads(self, topic: str) -> list[str]:
        return [payload for t, payload in self.received if t == topic]

    def env(self) -> dict:
        return json.loads((self.folder / "env.json").read_text())

    def log(self) -> str:
        path = self.folder / "log.json"
        return path.read_text() if path.exists() else "(no log)"


def test_official_client_units_end_to_end(app, database_url, redis_url, git_server, tmp_path):
    upstream = UnitRepo(git_server, f"e2e-unit-{tmp_path.name}")
    first = upstream.commit("first", {**FILES, ".pepeignore": PEPEIGNORE, "schema_example.json": SCHEMA,
                                      "env_example.json": ENV_EXAMPLE})
    upstream.tag("v1.0.0")
    upstream.push()

    web_port, broker_port = free_port(), free_port()
    env = make_test_environ(database_url, redis_url, PU_DOMAIN=f"127.0.0.1:{web_port}", PU_MQTT_PORT=broker_port,
                            PU_SAVE_REPO_PATH=tmp_path / "repo_cache", PU_STATE_SEND_INTERVAL=STATE_INTERVAL,
                            PU_LEADER_LEASE_SECONDS=6, PU_GITHUB_API_URL=git_server.releases.github_url)
    hook = f"http://127.0.0.1:{web_port}{API}/units/auth"
    devices: list[Device] = []
    with DevBroker(env, hook, broker_port) as broker, Gunicorn(env, workers=3, port=web_port) as server:
        def diagnostics() -> str:
            return (f"--- gunicorn\n{server.output()[-6000:]}\n--- dev broker\n{broker.output()[-3000:]}\n"
                    + "".join(f"--- device {d.uuid}\n{d.log()[-2000:]}\n" for d in devices))

        try:
            wait_for("the leader's MQTT consumer to subscribe through the dev broker",
                     lambda: "MQTT subscribed" in server.output(), details=diagnostics)
            assert server.output().count("leads: MQTT consumer") == 1, diagnostics()
            backend = Backend(server.url)
            backend.sign_up("e2e-owner")
            registry = backend.call("POST", "/repository_registry", 201, json={
                "platform": "Github", "repository_url": upstream.url, "is_public_repository": True})
            repo = backend.call("POST", "/repos", 201, json={
                "repository_registry_uuid": registry["uuid"], "default_branch": "main", "visibility_level": "Public",
                "name": "e2e-repo", "is_compilable_repo": False})
            pinned = {"is_auto_update_from_repo_unit": False, "repo_branch": "main", "repo_commit": first}
            units = {name: backend.call("POST", "/units", 201, json={
                "repo_uuid": repo["uuid"], "visibility_level": "Public", "name": f"e2e-{name}",
                "is_auto_update_from_repo_unit": name == "a", **({} if name == "a" else pinned)})
                for name in ("a", "b", "c")}

            a, b, c = (Device(backend, units[name], tmp_path / f"device-{name}") for name in ("a", "b", "c"))
            devices += [a, b, c]
            for device in devices:
                device.start()
            assert a.env()["PU_COMMIT_VERSION"] == first
            assert a.env()["PU_MQTT_PORT"] == broker_port and a.env()["PU_AUTH_TOKEN"]

            # --- an edge A.output -> B.input, made while B runs: B re-reads its schema and subscribes
            a_out = backend.node(units["a"]["uuid"], "output/pepeunit")
            b_in = backend.node(units["b"]["uuid"], "input/pepeunit")
            a_out_topic = a.client.schema.output_topic["output/pepeunit"][0]
            b_in_topic = b.client.schema.input_topic["input/pepeunit"][0]
            assert a_out_topic == f"{env['PU_DOMAIN']}/{a_out['uuid']}/pepeunit"
            assert b_in_topic == f"{env['PU_DOMAIN']}/{b_in['uuid']}/pepeunit"
            held = len(b.subacks)
            backend.call("POST", "/unit_nodes/create_unit_node_edge", 201, json={
                "node_output_uuid": a_out["uuid"], "node_input_uuid": b_in["uuid"]})
            wait_for("B to get SchemaUpdate and subscribe to A's output",
                     lambda: a_out_topic in b.client.schema.input_topic["input/pepeunit"]
                     and len(b.subacks) >= held + len(b.input_topics()), details=diagnostics)
            assert all(code != 0x80 for granted in b.subacks for code in granted), b.subacks

            a.client.publish_to_topics("output/pepeunit", "42")
            wait_for("B to receive A's output along the edge", lambda: "42" in b.payloads(a_out_topic),
                     details=diagnostics)
            wait_for("the backend to keep A's output as the node's last value",
                     lambda: backend.call("GET", f"/unit_nodes/{a_out['uuid']}")["state"] == "42",
                     details=diagnostics)

            # --- C, not linked, publishes into B's input: the broker drops it. What C sends next (its log,
            # stored by the backend) and what A sends after that both arrive, so the spoof would have too.
            c.client.mqtt_client.publish(b_in_topic, "spoofed by C")
            c.client.logger.info("C after the spoof")
            wait_for("C's later log line in the log list",
                     lambda: "C after the spoof" in backend.log_texts(units["c"]["uuid"]), details=diagnostics)
            a.client.publish_to_topics("output/pepeunit", "43")
            wait_for("A's next value at B", lambda: "43" in b.payloads(a_out_topic), details=diagnostics)
            assert b.payloads(b_in_topic) == [], b.received
            assert all(payload != "spoofed by C" for _, payload in b.received)

            # --- the repo moves: new tagged commit, registry synced, units updated as a user does it
            second = upstream.commit("second", {"main.py": "print('version two')\n", "lib/extra.py": "EXTRA = 2\n"})
            upstream.tag("v2.0.0")
            upstream.push()
            backend.call("PATCH", f"/repository_registry/update_local_repository/{registry['uuid']}", 204)
            assert backend.call("GET", f"/units/get_target_version/{units['a']['uuid']}")["commit"] == second
            backend.call("PATCH", f"/repos/update_units_firmware/{repo['uuid']}", 204)

            def updated():
                unit = backend.unit(units["a"]["uuid"])
                assert unit["firmware_update_status"] != "Error", (unit, diagnostics())
                return unit if unit["firmware_update_status"] == "Success" else None

            unit_a = wait_for("the backend to mark A's firmware update Success", updated, details=diagnostics)
            assert unit_a["current_commit_version"] == second
            assert unit_a["unit_state"]["pu_commit_version"] == second
            assert unit_a["firmware_update_error"] is None
            assert a.client.settings.PU_COMMIT_VERSION == second and a.env()["PU_COMMIT_VERSION"] == second
            assert (a.folder / "main.py").read_text() == "print('version two')\n"
            assert (a.folder / "lib" / "extra.py").read_text() == "EXTRA = 2\n"
            assert not (a.folder / "README.md").exists() and not (a.folder / "secret").exists()
            update_topic = a.client.schema.input_base_topic["update/pepeunit"][0]
            assert [json.loads(p) for p in a.payloads(update_topic)] == [
                {"COMMAND": "Update", "PU_COMMIT_VERSION": second}]
            for pinned_device in (b, c):  # not auto-updated: no command, still on the first version
                assert pinned_device.payloads(pinned_device.client.schema.input_base_topic["update/pepeunit"][0]) == []
                assert backend.unit(pinned_device.uuid)["firmware_update_status"] is None

            expected_logs = {"Connected to MQTT Broker", "Get base MQTT command: update/pepeunit",
                             "Full update cycle completed successfully", "Environment and schema updated successfully"}
            wait_for("A's log lines in the log list",
                     lambda: expected_logs <= set(backend.log_texts(units["a"]["uuid"])), details=diagnostics)
        finally:
            for device in devices:
                device.stop()
