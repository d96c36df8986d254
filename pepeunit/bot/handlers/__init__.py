"""Handler registration: one module per command group.

Each module in ``HANDLER_MODULES`` has ``COMMANDS`` (name, description) for the
help text and ``register(bot)``: ``browse`` (/repo, /unit, /registry lists),
``entities`` (opening an entry) and ``unit_actions`` (documents, commands, nodes)
answer inline buttons. ``fallback`` is registered last: pyTelegramBotAPI tries
handlers in registration order.
"""
from __future__ import annotations

from . import browse, entities, fallback, info, start, unit_actions

HANDLER_MODULES = (start, info, browse, entities, unit_actions)


def command_list() -> list[tuple[str, str]]:
    return [command for module in HANDLER_MODULES for command in module.COMMANDS]


def register_handlers(bot) -> None:
    for module in HANDLER_MODULES:
        module.register(bot)
    fallback.register(bot)
