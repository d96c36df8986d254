"""Every text and keyboard the bot sends (HTML parse mode: dynamic values escaped)."""
from __future__ import annotations

from html import escape

from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from .. import __version__
from ..errors import PepeunitError
from ..services.telegram import ChatNotLinkedError, ChatUserBlockedError, TooManyAttemptsError

DOCS_URL = "https://pepeunit.com"
UNEXPECTED = "Something went wrong on the instance while handling this message. Please try again later."
UNKNOWN_COMMAND = "I do not know this command. /help lists what I can do."
PRIVATE_ONLY = "Verification works only in a private chat with the bot."


def _domain(settings) -> str:
    return escape(settings.PU_DOMAIN)


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    markup = InlineKeyboardMarkup(row_width=2)
    markup.add(*(InlineKeyboardButton(text, url=url) for text, url in buttons))
    return markup


def help_text(settings, commands: list[tuple[str, str]]) -> str:
    lines = [
        f"<b>Pepeunit</b> on {_domain(settings)}",
        "",
        "<b>Verification</b>",
        "Log in on the instance and open the Telegram verification link from your account: "
        "it brings you back here with a one-time code that links this chat to your user.",
        "",
        "<b>Commands</b>",
    ]
    lines += [f"/{name} - {escape(description)}" for name, description in commands]
    return "\n".join(lines)


def help_keyboard(settings) -> InlineKeyboardMarkup:
    return _keyboard(
        ("Instance", settings.link),
        ("Docs", DOCS_URL),
        ("Swagger", f"{settings.link_prefix}/docs"),
        ("GraphQL", f"{settings.link_prefix}/graphql"),
    )


def verified(settings, login: str) -> str:
    return f"You have been successfully verified: this chat is linked to <b>{escape(login)}</b> on {_domain(settings)}."


def code_not_found(settings) -> str:
    return (
        "This verification link has expired or was already used. "
        f"Open a new one from your account on {_domain(settings)}."
    )


def chat_taken(settings) -> str:
    return f"This Telegram account is already linked to another user on {_domain(settings)}."


def info_text(settings, metrics: dict) -> str:
    rows = [
        ("Users", "user_count"),
        ("Repository registries", "repository_registry_count"),
        ("Repos", "repo_count"),
        ("Units", "unit_count"),
        ("UnitNodes", "unit_node_count"),
        ("UnitNodeEdges", "unit_node_edge_count"),
    ]
    lines = [f"<b>Pepeunit</b> {escape(__version__)} on {_domain(settings)}", "", "<b>Metrics</b>"]
    lines += [f"{label} - {int(metrics.get(key, 0))}" for label, key in rows]
    return "\n".join(lines)


def info_keyboard(settings) -> InlineKeyboardMarkup:
    return _keyboard(("Swagger", f"{settings.link_prefix}/docs"), ("GraphQL", f"{settings.link_prefix}/graphql"))


def service_error(settings, error: PepeunitError) -> str:
    """What the user reads when a service refused: clear words, never a traceback."""
    if isinstance(error, ChatNotLinkedError):
        return (
            f"This chat is not linked to a user on {_domain(settings)}. "
            "Open the Telegram verification link from your account to link it."
        )
    if isinstance(error, ChatUserBlockedError):
        return f"Your user on {_domain(settings)} is blocked."
    if isinstance(error, TooManyAttemptsError):
        return "Too many wrong verification codes from this chat. Try again in a few minutes."
    return escape(error.message)
