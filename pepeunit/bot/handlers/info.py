"""/info: instance version and metrics, read as the chat's linked user."""
from __future__ import annotations

from ...extensions import get_settings
from ...services import metrics, telegram
from .. import texts
from .common import guarded

COMMANDS = [("info", "instance version and metrics")]


def register(bot) -> None:
    @bot.message_handler(commands=["info"])
    @guarded(bot)
    def info(message):
        settings = get_settings()
        agent = telegram.agent_for_chat(message.chat.id)
        counts = metrics.base_metrics(agent)
        bot.send_message(message.chat.id, texts.info_text(settings, counts), reply_markup=texts.info_keyboard(settings))
