"""What every handler shares: error containment and replies that cannot raise."""
from __future__ import annotations

import logging
from functools import wraps

import requests
from telebot.apihelper import ApiException

from ...errors import PepeunitError
from ...extensions import db, get_settings
from .. import texts

log = logging.getLogger(__name__)


def chat_id_of(event) -> int | None:
    """The chat of a message or of a callback query's message."""
    chat = getattr(event, "chat", None)
    if chat is None and getattr(event, "message", None) is not None:
        chat = event.message.chat
    return getattr(chat, "id", None)


def reply_safely(bot, chat_id, text: str, **kwargs) -> None:
    if chat_id is None:
        return
    try:
        bot.send_message(chat_id, text, **kwargs)
    except (ApiException, requests.RequestException) as exc:
        log.warning("telegram: could not reply to chat %s: %s", chat_id, exc)


def guarded(bot):
    """Run a handler so that nothing it raises escapes.

    A service refusal becomes a clear reply; a Bot API failure is logged (there
    is nobody to tell); anything else is logged with its traceback and the user
    gets a generic apology. The session is rolled back so a half-done change is
    never committed by a later handler.
    """

    def decorate(func):
        @wraps(func)
        def wrapper(event):
            chat_id = chat_id_of(event)
            try:
                func(event)
            except PepeunitError as exc:
                db.session.rollback()
                reply_safely(bot, chat_id, texts.service_error(get_settings(), exc))
            except (ApiException, requests.RequestException) as exc:
                db.session.rollback()
                log.warning("telegram: Bot API call failed in %s: %s", func.__name__, exc)
            except Exception:
                db.session.rollback()
                log.exception("telegram: handler %s failed", func.__name__)
                reply_safely(bot, chat_id, texts.UNEXPECTED)

        return wrapper

    return decorate
