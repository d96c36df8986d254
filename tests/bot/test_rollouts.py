"""The repo view shows its newest rollout; its creator pauses, resumes and aborts it from the buttons."""
from __future__ import annotations

import uuid

from pepeunit.bot import callbacks as cb
from pepeunit.extensions import db
from pepeunit.models import Rollout, RolloutStatus
from pepeunit.services import unit_firmware
from pepeunit.services.rollouts import lifecycle
from tests.helpers import API, auth

from .browsing import OWNER_CHAT, labels

OTHER_CHAT = 7002
POLICY = {"stages": [50, 100], "failure_threshold": 0.0, "stage_timeout_seconds": 600, "auto_rollback": True}


def _open_repo(world, chat_id):
    listed = world.send(chat_id, "/repo")
    world.press(chat_id, "repo-one", listed)
    return world.message(chat_id, listed["message_id"])


def _start_rollout(world) -> uuid.UUID:
    for name in ("unit-a", "unit-b"):
        world.create_unit(name)
    url = f"{API}/repos/{world.repo_uuid}/rollouts/policy"
    assert world.client.put(url, json=POLICY, headers=auth(world.token)).status_code == 200
    from tests.unit_repo import commit_files, refresh

    commit_files(world.work, {"main.py": "print('v2')\n"}, "version two")
    with world.app.app_context():
        from pepeunit.models import RepositoryRegistry

        refresh(db.session.get(RepositoryRegistry, world.registry_uuid), world.work)
        unit_firmware.update_units_of(world.repo_uuid)
        rollout = lifecycle.effective.latest_rollout(world.repo_uuid)
        lifecycle.drive(rollout.uuid)
        return rollout.uuid


def _status(world, rollout_uuid) -> RolloutStatus:
    with world.app.app_context():
        return db.session.get(Rollout, rollout_uuid).status


def test_the_creator_sees_the_rollout_and_pauses_resumes_and_aborts_it(bot_world):
    rollout_uuid = _start_rollout(bot_world)
    repo = _open_repo(bot_world, OWNER_CHAT)
    assert "<b>Rollout</b> to" in repo["text"] and "Running, stage 1/2; 0 ok, 0 failed, 2 waiting of 2" in repo["text"]
    assert labels(repo) == ["Units", "Repository", "⏸ Pause rollout", "✕ Abort rollout", "« Back to the list"]

    answer = bot_world.press(OWNER_CHAT, "⏸ Pause", repo)
    assert answer.get("text") == "Rollout paused" and _status(bot_world, rollout_uuid) is RolloutStatus.PAUSED
    paused = bot_world.message(OWNER_CHAT, repo["message_id"])
    assert "Paused, stage 1/2" in paused["text"]
    assert labels(paused) == ["Units", "Repository", "▶ Resume rollout", "✕ Abort rollout"]

    bot_world.press(OWNER_CHAT, "▶ Resume", paused)
    assert _status(bot_world, rollout_uuid) is RolloutStatus.RUNNING
    bot_world.press(OWNER_CHAT, "✕ Abort", bot_world.message(OWNER_CHAT, repo["message_id"]))
    aborted = bot_world.message(OWNER_CHAT, repo["message_id"])
    assert _status(bot_world, rollout_uuid) is RolloutStatus.ABORTED
    assert "Aborted" in aborted["text"] and "aborted by an operator" in aborted["text"]
    assert labels(aborted) == ["Units", "Repository"]


def test_others_see_the_status_line_without_buttons_and_cannot_press_them(bot_world):
    rollout_uuid = _start_rollout(bot_world)
    bot_world.user("other1", OTHER_CHAT)
    repo = _open_repo(bot_world, OTHER_CHAT)
    assert "<b>Rollout</b> to" in repo["text"] and "Running" in repo["text"]
    assert labels(repo) == ["Units", "Repository", "« Back to the list"]
    answer = bot_world.press_data(OTHER_CHAT, cb.rollout_action("p", rollout_uuid), repo)
    assert answer["show_alert"] and "No Access" in answer["text"]
    assert _status(bot_world, rollout_uuid) is RolloutStatus.RUNNING
