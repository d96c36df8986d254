"""Rollout policy: validation (422, nothing stored), access (creator or Admin), clearing."""
import pytest

from pepeunit.errors import NoAccessError, ValidationError
from pepeunit.extensions import db
from pepeunit.models import RolloutPolicy
from pepeunit.services.rollouts import policy as policies
from tests import world
from tests.helpers import auth, gql, gql_error, new_user

BAD = [
    ({"stages": [50, 25, 100]}, "strictly increasing"),
    ({"stages": [25, 25, 100]}, "strictly increasing"),
    ({"stages": [25, 50]}, "must end at 100"),
    ({"stages": list(range(9, 100, 9))[:10] + [100]}, "at most 10"),
    ({"stages": []}, "non-empty"),
    ({"stages": [0, 100]}, "between 1 and 100"),
    ({"failure_threshold": 1.5}, "between 0 and 1"),
    ({"failure_threshold": -0.1}, "between 0 and 1"),
    ({"stage_timeout_seconds": 0}, "positive number of seconds"),
    ({"stage_timeout_seconds": -5}, "positive number of seconds"),
]
GOOD = {"stages": [5, 25, 100], "failure_threshold": 0.2, "stage_timeout_seconds": 600, "auto_rollback": True}


@pytest.mark.parametrize("change,message", BAD)
def test_bad_policy_is_422_with_a_clear_message_and_nothing_stored(unit_world, change, message):
    body = {**GOOD, **change}
    url = f"/pepeunit/api/v1/repos/{unit_world.repo_uuid}/rollouts/policy"
    response = unit_world.client.put(url, json=body, headers=auth(unit_world.token))
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["detail"]
    with unit_world.app.app_context():
        assert db.session.get(RolloutPolicy, unit_world.repo_uuid) is None
    answer = gql(unit_world.client, """mutation($r: UUID!, $s: [Int!], $t: Float, $o: Int) {
        setRolloutPolicy(repoUuid: $r, stages: $s, failureThreshold: $t, stageTimeoutSeconds: $o) { repoUuid } }""",
                 {"r": str(unit_world.repo_uuid), "s": body["stages"], "t": body["failure_threshold"],
                  "o": body["stage_timeout_seconds"]}, unit_world.token)
    assert answer["errors"] and message in gql_error(answer)
    with unit_world.app.app_context():
        assert db.session.get(RolloutPolicy, unit_world.repo_uuid) is None


def test_policy_set_read_and_cleared_over_both_doors(unit_world):
    url = f"/pepeunit/api/v1/repos/{unit_world.repo_uuid}/rollouts/policy"
    assert unit_world.client.get(url, headers=auth(unit_world.token)).get_json() is None
    response = unit_world.client.put(url, json=GOOD, headers=auth(unit_world.token))
    assert response.status_code == 200, response.get_json()
    stored = response.get_json()
    assert stored["stages"] == [5, 25, 100] and stored["failure_threshold"] == 0.2 and stored["baseline_commit"]
    query = "query($r: UUID!) { getRolloutPolicy(repoUuid: $r) { stages failureThreshold autoRollback } }"
    read = gql(unit_world.client, query, {"r": str(unit_world.repo_uuid)}, unit_world.token)
    assert read["data"]["getRolloutPolicy"] == {"stages": [5, 25, 100], "failureThreshold": 0.2, "autoRollback": True}
    cleared = gql(unit_world.client, "mutation($r: UUID!) { setRolloutPolicy(repoUuid: $r) { repoUuid } }",
                  {"r": str(unit_world.repo_uuid)}, unit_world.token)
    assert cleared["data"]["setRolloutPolicy"] is None and "errors" not in cleared
    assert unit_world.client.get(url, headers=auth(unit_world.token)).get_json() is None
    assert unit_world.client.put(url, json=GOOD, headers=auth(unit_world.token)).status_code == 200
    assert unit_world.client.delete(url, headers=auth(unit_world.token)).status_code == 204
    with unit_world.app.app_context():
        assert db.session.get(RolloutPolicy, unit_world.repo_uuid) is None


def test_only_the_creator_or_an_admin_sets_the_policy_others_read_it(unit_world):
    other, other_token = new_user(unit_world.client, "other1")
    url = f"/pepeunit/api/v1/repos/{unit_world.repo_uuid}/rollouts/policy"
    refused = unit_world.client.put(url, json=GOOD, headers=auth(other_token))
    assert refused.status_code == 403
    assert unit_world.client.put(url, json=GOOD, headers=auth(unit_world.token)).status_code == 200
    assert unit_world.client.get(url, headers=auth(other_token)).get_json()["stages"] == [5, 25, 100]
    with unit_world.app.app_context():
        row = world.user(bare=True)
        row.role = world.UserRole.ADMIN
        db.session.commit()
        admin = world.agent_of(row)
        stored = policies.set_policy(admin, unit_world.repo_uuid, policies.PolicyInput([50, 100], 0.5, 60, False))
        assert stored.stages == [50, 100]
        with pytest.raises(NoAccessError):
            policies.set_policy(world.agent_of(db.session.get(world.User, other_uuid(other))), unit_world.repo_uuid,
                                None)
        with pytest.raises(ValidationError):
            policies.validate(policies.PolicyInput([100], 2, 60, True))


def other_uuid(user: dict):
    import uuid

    return uuid.UUID(user["uuid"])
