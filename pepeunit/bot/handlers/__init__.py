"""Handler registration: one module per command group.

Each module in ``HANDLER_MODULES`` has ``COMMANDS`` (name, description) for the
help text and ``register(bot)``. Browsing modules (/repo, /unit, /registry and
unit actions) are added by appending to the tuple. ``fallback`` is registered
last: pyTelegramBotAPI tries handlers in registration order.
"""
from __future__ import annotations

from . import fallback, info, start

HANDLER_MODULES = (start, info)


def command_list() -> list[tuple[str, str]]:
    return [command for module in HANDLER_MODULES for command in module.COMMANDS]


def register_handlers(bot) -> None:
    for module in HANDLER_MODULES:
        module.register(bot)
    fallback.register(bot)
