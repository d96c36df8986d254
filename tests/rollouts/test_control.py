"""Operators: pause, resume and abort through REST and GraphQL; who may read and who may control."""
from pepeunit.models import RolloutStatus
from pepeunit.services.rollouts import lifecycle
from tests.helpers import API, auth, gql, gql_error, new_user

ROLLOUT = """query($u: UUID!) { getRollout(uuid: $u) { uuid status currentStage haltReason
  stages { index percent status succeeded failed waiting units { unitUuid status } } } }"""
ROLLOUTS = """query($r: UUID) { getRollouts(filters: {repoUuid: $r}) { count rollouts { uuid status } } }"""


def _start(fleet):
    with fleet.world.app.app_context():
        fleet.set_policy(stages=(25, 50, 100), timeout=60)
        v2, rollout = fleet.move({"main.py": "print('v2')\n"}, "version two")
        lifecycle.drive(rollout.uuid)
        return v2, rollout.uuid


def test_pause_resume_abort_over_rest(fleet, updates):
    client, token = fleet.world.client, fleet.world.token
    v2, uuid = _start(fleet)
    listed = client.get(f"{API}/repos/{fleet.world.repo_uuid}/rollouts", headers=auth(token)).get_json()
    assert listed["count"] == 1 and listed["rollouts"][0]["uuid"] == str(uuid)
    body = client.get(f"{API}/rollouts/{uuid}", headers=auth(token)).get_json()
    assert body["status"] == "Running" and body["current_stage"] == 0 and body["target_commit"] == v2
    assert [len(s["waiting"]) for s in body["stages"]] == [2, 2, 4]

    paused = client.post(f"{API}/rollouts/{uuid}/pause", headers=auth(token))
    assert paused.status_code == 200 and paused.get_json()["status"] == "Paused"
    with fleet.world.app.app_context():
        canaries = [u for u, r in fleet.rows(rollout_row(uuid)).items() if r.stage_index == 0]
        fleet.report(canaries, v2)
        assert lifecycle.drive_all() == 0  # a paused rollout is not driven: stage 2 waits
        assert lifecycle.drive(uuid, now=fleet.later(3600)).status is RolloutStatus.PAUSED  # nor timed out
    assert len(updates.settle(0.3)) == 2
    again = client.post(f"{API}/rollouts/{uuid}/pause", headers=auth(token))
    assert again.status_code == 422 and "only a Running rollout can be paused" in again.get_json()["detail"]

    resumed = client.post(f"{API}/rollouts/{uuid}/resume", headers=auth(token))
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "Running"
    with fleet.world.app.app_context():
        assert lifecycle.drive(uuid).current_stage == 1
    assert len(updates.settle(0.3)) == 4

    aborted = client.post(f"{API}/rollouts/{uuid}/abort", headers=auth(token))
    assert aborted.status_code == 200 and aborted.get_json()["status"] == "Aborted"
    with fleet.world.app.app_context():
        assert lifecycle.drive_all() == 0
        rows = fleet.rows(rollout_row(uuid))
        for unit_uuid, row in rows.items():  # moved units keep v2, the others keep v1
            assert fleet.target_of(unit_uuid) == (v2 if row.stage_index <= 1 else fleet.v1)
    assert len(updates.settle(0.3)) == 4
    assert client.post(f"{API}/rollouts/{uuid}/resume", headers=auth(token)).status_code == 422


def test_pause_resume_abort_over_graphql(fleet, updates):
    client, token = fleet.world.client, fleet.world.token
    v2, uuid = _start(fleet)
    read = gql(client, ROLLOUT, {"u": str(uuid)}, token)["data"]["getRollout"]
    assert read["status"] == "RUNNING" and [s["percent"] for s in read["stages"]] == [25, 50, 100]
    assert [len(s["units"]) for s in read["stages"]] == [2, 2, 4]
    listed = gql(client, ROLLOUTS, {"r": str(fleet.world.repo_uuid)}, token)["data"]["getRollouts"]
    assert listed == {"count": 1, "rollouts": [{"uuid": str(uuid), "status": "RUNNING"}]}
    for name, status in (("pauseRollout", "PAUSED"), ("resumeRollout", "RUNNING"), ("abortRollout", "ABORTED")):
        answer = gql(client, f"mutation($u: UUID!) {{ {name}(uuid: $u) {{ status }} }}", {"u": str(uuid)}, token)
        assert answer["data"][name]["status"] == status, answer
    refused = gql(client, "mutation($u: UUID!) { pauseRollout(uuid: $u) { status } }", {"u": str(uuid)}, token)
    assert "only a Running rollout can be paused" in gql_error(refused)


def test_others_with_access_read_but_do_not_control(fleet):
    client = fleet.world.client
    _, uuid = _start(fleet)
    other, other_token = new_user(client, "other2")
    assert client.get(f"{API}/rollouts/{uuid}", headers=auth(other_token)).status_code == 200
    assert client.post(f"{API}/rollouts/{uuid}/pause", headers=auth(other_token)).status_code == 403
    answer = gql(client, "mutation($u: UUID!) { abortRollout(uuid: $u) { status } }", {"u": str(uuid)}, other_token)
    assert gql_error(answer).startswith("403")
    assert client.get(f"{API}/rollouts/{uuid}").status_code == 200  # a Public repo: anyone may read
    with fleet.world.app.app_context():
        assert fleet.view(rollout_row(uuid)).status is RolloutStatus.RUNNING


def rollout_row(uuid):
    from pepeunit.extensions import db
    from pepeunit.models import Rollout

    return db.session.get(Rollout, uuid)
