"""What every handler shares: error containment and replies that cannot raise."""
from __future__ import annotations

import logging
from functools import wraps

import requests
from telebot.apihelper import ApiException, ApiTelegramException

from ...errors import PepeunitError
from ...extensions import db, get_settings
from ...services import telegram
from ...services.agents import Agent
from .. import callbacks, list_views, texts, views

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


def _contained(exc: Exception, handler: str) -> str | None:
    """Roll back what the failed ``handler`` half did; the text its user should see, or None.

    A service refusal is told in the service's words; a Bot API failure is logged only
    (there is nobody to tell); anything else is logged with its traceback and the user
    gets a generic apology.
    """
    db.session.rollback()
    if isinstance(exc, PepeunitError):
        return texts.service_error(get_settings(), exc)
    if isinstance(exc, (ApiException, requests.RequestException)):
        log.warning("telegram: Bot API call failed in %s: %s", handler, exc)
        return None
    log.exception("telegram: handler %s failed", handler)
    return texts.UNEXPECTED


def guarded(bot):
    """Run a handler so that nothing it raises escapes (see ``_contained``).

    The session is rolled back so a half-done change is never committed by a later handler.
    """

    def decorate(func):
        @wraps(func)
        def wrapper(event):
            try:
                func(event)
            except Exception as exc:
                text = _contained(exc, func.__name__)
                if text is not None:
                    reply_safely(bot, chat_id_of(event), text)

        return wrapper

    return decorate


def pressed(call) -> tuple[callbacks.Parsed, Agent]:
    """A pressed button's data (``Forged`` if it is not ours) and the agent behind its chat."""
    return callbacks.parse(call.data), telegram.agent_for_chat(chat_id_of(call))


def prefixed(*heads: str):
    """A callback_query_handler filter: the data's first field is one of ``heads``."""
    return lambda call: (call.data or "").split(":", 1)[0] in heads


def answer_safely(bot, call, text: str | None = None, alert: bool = False) -> None:
    try:
        bot.answer_callback_query(call.id, text=text, show_alert=alert or None)
    except (ApiException, requests.RequestException) as exc:
        log.warning("telegram: could not answer callback query %s: %s", call.id, exc)


def show(bot, call, text: str, markup) -> None:
    """Replace the pressed message's text and keyboard (paging, opening, going back)."""
    try:
        bot.edit_message_text(text, chat_id=call.message.chat.id, message_id=call.message.message_id,
                              reply_markup=markup)
    except ApiTelegramException as exc:
        if "message is not modified" not in str(exc.description):
            raise


class Alert(str):
    """A handler's notice that must be acknowledged (a popup, not a toast)."""


def answering(bot):
    """Run a callback-query handler; the query is answered exactly once, whatever happens.

    The handler returns the text of the short notice (an ``Alert`` for a popup) or
    None. A forged or stale
    button, a service refusal or a failure becomes an alert with clear words and
    the session is rolled back, so nothing is half-changed.
    """

    def decorate(func):
        @wraps(func)
        def wrapper(call):
            text, alert = None, False
            try:
                text = func(call)
                alert = isinstance(text, Alert)
            except callbacks.Forged:
                db.session.rollback()
                text, alert = views.FORGED, True
            except list_views.ListExpired:
                db.session.rollback()
                text, alert = views.LIST_EXPIRED, True
            except ApiTelegramException as exc:
                db.session.rollback()
                log.warning("telegram: Bot API refused a reply in %s: %s", func.__name__, exc)
                text, alert = views.plain(f"Telegram did not take the reply: {exc.description}"), True
            except Exception as exc:
                failure = _contained(exc, func.__name__)
                if failure is not None:
                    text, alert = views.plain(failure), True
            answer_safely(bot, call, text, alert)

        return wrapper

    return decorate


def button_handler(bot, *heads: str):
    """Register the decorated function for the buttons whose data starts with one of ``heads``,
    run under ``answering``."""
    def decorate(func):
        bot.callback_query_handler(func=prefixed(*heads))(answering(bot)(func))
        return func

    return decorate
