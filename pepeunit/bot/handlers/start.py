"""/start (with or without a deep-link verification code) and /help."""
from __future__ import annotations

from telebot import util

from ...errors import UserError, ValidationError
from ...extensions import get_settings
from ...services import telegram
from .. import texts
from .common import guarded

COMMANDS = [("start", "start the bot (a verification link adds its code)"), ("help", "this help")]


def _help(bot, message, commands: list[tuple[str, str]]) -> None:
    settings = get_settings()
    bot.send_message(message.chat.id, texts.help_text(settings, commands), reply_markup=texts.help_keyboard(settings))


def _verify(bot, message, code: str) -> None:
    settings = get_settings()
    if message.chat.type != "private":
        bot.send_message(message.chat.id, texts.PRIVATE_ONLY)
        return
    try:
        user = telegram.redeem_verification_code(message.chat.id, code)
    except ValidationError:  # unknown, expired or already used
        bot.send_message(message.chat.id, texts.code_not_found(settings))
        return
    except UserError:  # this chat already belongs to another user
        bot.send_message(message.chat.id, texts.chat_taken(settings))
        return
    bot.send_message(message.chat.id, texts.verified(settings, user.login))


def register(bot, commands: list[tuple[str, str]]) -> None:
    """``commands``: every command of the bot, for /help (the registry knows them all)."""
    @bot.message_handler(commands=["start"])
    @guarded(bot)
    def start(message):
        code = (util.extract_arguments(message.text or "") or "").strip()
        if code:
            _verify(bot, message, code)
        else:
            _help(bot, message, commands)

    @bot.message_handler(commands=["help"])
    @guarded(bot)
    def help_(message):
        _help(bot, message, commands)
