"""Anything no other handler took: a pointer to /help (private chats only)."""
from __future__ import annotations

from .. import texts
from .common import guarded


def register(bot) -> None:
    @bot.message_handler(func=lambda message: message.chat.type == "private", content_types=["text"])
    @guarded(bot)
    def unknown(message):
        bot.send_message(message.chat.id, texts.UNKNOWN_COMMAND)
