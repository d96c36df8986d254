"""Handler registration: one module per command group, in the order pyTelegramBotAPI tries them.

Each module has ``register(bot)``, and ``COMMANDS`` (name, description) for the help text when it
answers slash commands (modules that only answer buttons have none).
``start`` (/start, /help) comes first and is given the command list its /help shows;
``browse`` (/repo, /unit, /registry lists), ``entities`` (opening an entry) and
``unit_actions`` (documents, commands, nodes) and ``rollout_actions`` (pause, resume, abort)
answer inline buttons; ``fallback``
is registered last, since handlers are tried in registration order.
"""
from __future__ import annotations

from . import browse, entities, fallback, info, rollout_actions, start, unit_actions

COMMAND_MODULES = (info, browse, entities, unit_actions, rollout_actions)  # registered between start and fallback


def command_list() -> list[tuple[str, str]]:
    return [*start.COMMANDS, *(command for module in COMMAND_MODULES for command in getattr(module, "COMMANDS", ()))]


def register_handlers(bot) -> None:
    start.register(bot, command_list())
    for module in COMMAND_MODULES:
        module.register(bot)
    fallback.register(bot)
