"""Pause, resume and abort of a repo's rollout from the buttons of its repo view.

The buttons are offered to the repo's creator; ``services.rollouts.control`` decides access
(creator or Admin) exactly as for REST and GraphQL. The repo view is shown again afterwards.
"""
from __future__ import annotations

from ...services.rollouts import control
from .. import callbacks as cb
from .common import button_handler, pressed, show
from .entities import repo_view

CALLS = {"pause": control.pause, "resume": control.resume, "abort": control.abort}
DONE = {"pause": "Rollout paused", "resume": "Rollout resumed", "abort": "Rollout aborted"}


def register(bot) -> None:
    @button_handler(bot, "P")
    def rollout_action(call):
        parsed, agent = pressed(call)
        what = cb.ROLLOUT_ACTIONS[parsed.code]
        rollout = CALLS[what](agent, parsed.uuid)
        text, markup = repo_view(agent, rollout.repo_uuid, None)
        show(bot, call, text, markup)
        return DONE[what]
