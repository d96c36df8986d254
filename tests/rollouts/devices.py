"""Units as devices: the official pepeunit-client, each with its own folder, MQTT connection and
main cycle (state every ``PU_STATE_SEND_INTERVAL``), against a backend served over HTTP."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import requests
from pepeunit_client import PepeunitClient, RestartMode


class Device:
    """One unit running the official client; ``broken``: a version whose firmware never boots (the
    device's fallback keeps the running one, so it never reports it)."""

    def __init__(self, api: str, token: str, unit_uuid: str, folder: Path):
        self.unit_uuid, self.folder = unit_uuid, folder
        self.broken: str | None = None
        self.updates: list[tuple[float, str]] = []  # (monotonic time, PU_COMMIT_VERSION) of each Update
        folder.mkdir()
        env = requests.get(f"{api}/units/env/{unit_uuid}", headers={"x-auth-token": token}, timeout=30)
        assert env.status_code == 200, env.text
        (folder / "env.json").write_text(json.dumps(env.json()))
        (folder / "schema.json").write_text("{}")
        self.client = PepeunitClient(
            env_file_path=str(folder / "env.json"), schema_file_path=str(folder / "schema.json"),
            log_file_path=str(folder / "log.json"), enable_mqtt=True, enable_rest=True,
            restart_mode=RestartMode.ENV_SCHEMA_ONLY, ff_console_log_enable=False, cycle_speed=0.2)
        self.client.download_schema(str(folder / "schema.json"))
        self.client.set_custom_update_handler(self._install)
        self.client.set_mqtt_input_handler(self._seen)
        self.client.mqtt_client.connect()
        self.thread = threading.Thread(target=self.client.run_main_cycle, daemon=True)
        self.thread.start()

    def _install(self, client, payload: dict) -> None:
        if payload.get("PU_COMMIT_VERSION") == self.broken:
            return
        archive = self.folder.parent / f"update_{self.unit_uuid}.tar.gz"
        client.rest_client.download_update(str(archive))
        client.update_device_program(str(archive))

    def _seen(self, client, message) -> None:
        if message.topic.endswith("/update/pepeunit"):
            self.updates.append((time.monotonic(), json.loads(message.payload)["PU_COMMIT_VERSION"]))

    @property
    def version(self) -> str | None:
        """PU_COMMIT_VERSION in the device's env.json (None while the client rewrites the file)."""
        try:
            return json.loads((self.folder / "env.json").read_text()).get("PU_COMMIT_VERSION")
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        self.client.stop_main_cycle()
        self.thread.join(5)
        self.client.mqtt_client.disconnect()
