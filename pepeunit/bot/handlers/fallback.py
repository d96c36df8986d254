"""Anything no other handler took: a pointer to /help (private chats only), and an
answer for buttons this bot does not know (old or forged callback data)."""
from __future__ import annotations

from .. import texts, views
from .common import answer_safely, guarded


def register(bot) -> None:
    @bot.message_handler(func=lambda message: message.chat.type == "private", content_types=["text"])
    @guarded(bot)
    def unknown(message):
        bot.send_message(message.chat.id, texts.UNKNOWN_COMMAND)

    @bot.callback_query_handler(func=lambda call: True)
    def unknown_button(call):
        answer_safely(bot, call, views.FORGED, alert=True)
