"""Staged rollouts end to end: 8 units running the official pepeunit-client, the backend under
gunicorn (2 workers; the leader drives rollouts), MQTT through the dev broker asking our hook.

One bounded scenario (stack start-up dominates on a loaded machine):
1. version 2 rolls out 25/50/100; between stages, units of stages not started still run v1;
   the leader is killed with SIGKILL during stage 2 and the new leader finishes the rollout,
   every unit getting exactly one Update;
2. version 3 never boots on the canaries: the rollout halts at stage 1, no other unit gets
   Update, and the canaries are sent back to version 2 and report it.
"""
from __future__ import annotations

import os
import signal
import time

import redis
import requests

from pepeunit.runtime.runner import lease_name
from tests.helpers import make_test_environ, wait_until
from tests.processes import DevBroker, Gunicorn, free_port
from tests.rollouts.devices import Device

POLICY = {"stages": [25, 50, 100], "failure_threshold": 0.0, "stage_timeout_seconds": 40, "auto_rollback": True}


class Doors:
    def __init__(self, url: str, token: str):
        self.api, self.headers = f"{url}/pepeunit/api/v1", {"x-auth-token": token}

    def call(self, method: str, path: str, expect: int = 200, **kwargs):
        response = requests.request(method, self.api + path, headers=self.headers, timeout=30, **kwargs)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json() if response.content else None


def _leader_pid(redis_url, settings) -> int | None:
    holder = redis.Redis.from_url(redis_url).get(f"pepeunit:lease:{lease_name(settings)}")
    return int(holder.decode().split(":")[1]) if holder else None


def _watch(doors: Doors, uuid: str, devices: dict, v1: str, until: set, seconds: float, on_stage=None) -> dict:
    """Poll the rollout until its status is in ``until``; at every look, units whose stage has not
    started still run ``v1`` on the device and got no Update since the rollout began."""
    before = {u: len(d.updates) for u, d in devices.items()}
    deadline = time.monotonic() + seconds
    while True:
        # the devices first: a stage still waiting after this look was waiting during it
        seen = {u: (d.version, len(d.updates)) for u, d in devices.items()}
        rollout = doors.call("GET", f"/rollouts/{uuid}")
        for stage in rollout["stages"]:
            if stage["status"] == "Waiting":
                for unit in stage["units"]:
                    assert seen[unit["unit_uuid"]] == (v1, before[unit["unit_uuid"]]), (stage, unit, seen[unit["unit_uuid"]])
        if on_stage:
            on_stage(rollout)
        if rollout["status"] in until:
            return rollout
        assert time.monotonic() < deadline, rollout
        time.sleep(0.2)


def test_official_client_units_through_a_staged_rollout(unit_world, repo_cache, settings, database_url, redis_url,
                                                      tmp_path):
    http_port, mqtt_port = free_port(), free_port()
    environ = make_test_environ(database_url, redis_url, PU_DOMAIN=f"127.0.0.1:{http_port}", PU_MQTT_PORT=mqtt_port,
                                PU_LEADER_LEASE_SECONDS=2, PU_SAVE_REPO_PATH=str(repo_cache.path),
                                PU_STATE_SEND_INTERVAL=8, PU_ROLLOUT_TICK_SECONDS=0.5)
    from pepeunit.config import Settings

    backend_settings = Settings.from_env(environ)
    units = [unit_world.create_unit(f"dev-{i}")["uuid"] for i in range(8)]
    with Gunicorn(environ, workers=2, port=http_port) as server, \
            DevBroker(environ, server.url + "/pepeunit/api/v1/units/auth", mqtt_port):
        doors = Doors(server.url, unit_world.token)
        devices = {u: Device(doors.api, unit_world.token, u, tmp_path / f"dev-{i}") for i, u in enumerate(units)}
        try:
            v1 = devices[units[0]].version
            assert wait_until(lambda: all(doors.call("GET", f"/units/{u}")["current_commit_version"] == v1
                                          for u in units), 40, 0.5), server.output()[-3000:]
            doors.call("PUT", f"/repos/{unit_world.repo_uuid}/rollouts/policy", json=POLICY)

            # 1. version 2, with the leader killed during stage 2
            v2 = unit_world.push({"main.py": "print('v2')\n"}, "version two")
            doors.call("PATCH", f"/repos/update_units_firmware/{unit_world.repo_uuid}", expect=204)
            listed = doors.call("GET", f"/repos/{unit_world.repo_uuid}/rollouts")
            assert listed["count"] == 1
            uuid = listed["rollouts"][0]["uuid"]
            killed = []

            def kill_leader_in_stage_two(rollout):
                if not killed and rollout["current_stage"] == 1:
                    leader = _leader_pid(redis_url, backend_settings)
                    assert leader in server.worker_pids()
                    os.kill(leader, signal.SIGKILL)
                    killed.append(leader)

            done = _watch(doors, uuid, devices, v1, {"Completed", "Halted"}, 180, kill_leader_in_stage_two)
            if done["status"] != "Completed":
                print(server.output()[-6000:])
                for u, d in devices.items():
                    print(u, d.updates, time.monotonic())
            assert done["status"] == "Completed", (done["halt_reason"], [[(u["status"], u["error"]) for u in s["units"]] for s in done["stages"]], killed)
            assert killed and _leader_pid(redis_url, backend_settings) not in (None, killed[0])
            assert [len(s["succeeded"]) for s in done["stages"]] == [2, 2, 4]
            assert wait_until(lambda: all(d.version == v2 for d in devices.values()), 20)
            assert {u: [v for _, v in d.updates] for u, d in devices.items()} == {u: [v2] for u in units}
            order = [[devices[str(x["unit_uuid"])].updates[0][0] for x in s["units"]] for s in done["stages"]]
            assert max(order[0]) < min(order[1]) and max(order[1]) < min(order[2])

            # 2. version 3 never boots on the canaries
            v3 = unit_world.push({"main.py": "print('v3')\n"}, "version three")
            for device in devices.values():
                device.broken = v3
            doors.call("PATCH", f"/repos/update_units_firmware/{unit_world.repo_uuid}", expect=204)
            uuid = doors.call("GET", f"/repos/{unit_world.repo_uuid}/rollouts")["rollouts"][0]["uuid"]
            halted = _watch(doors, uuid, devices, v2, {"Halted", "Completed"}, 90)
            assert halted["status"] == "Halted" and halted["current_stage"] == 0 and halted["rolled_back"], halted
            canaries = {u["unit_uuid"] for u in halted["stages"][0]["units"]}
            assert len(canaries) == 2

            def rolled_back():
                rollout = doors.call("GET", f"/rollouts/{uuid}")
                return sorted(rollout["stages"][0]["rolled_back"]) == sorted(canaries) and all(
                    u["status"] == "RolledBack" for u in rollout["stages"][0]["units"])

            assert wait_until(rolled_back, 40, 0.5), doors.call("GET", f"/rollouts/{uuid}")
            for unit_uuid, device in devices.items():
                expected = [v2, v3, v2] if unit_uuid in canaries else [v2]
                assert [v for _, v in device.updates] == expected, unit_uuid
                assert device.version == v2
        finally:
            for device in devices.values():
                device.stop()
