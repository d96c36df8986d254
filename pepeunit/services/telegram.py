"""Telegram identity: which user a chat acts as, and redeeming verification codes.

Every bot handler gets its ``Agent`` from ``agent_for_chat``: a chat is a user
only through ``users.telegram_chat_id`` (never through the login, so a numeric
login can never pass for somebody's chat id) and a Blocked user gets no agent.
From there the bot calls the same service functions, with the same access rules,
as REST and GraphQL.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from ..errors import NoAccessError, ValidationError, not_found
from ..extensions import db, get_redis
from ..models import AgentType, User, UserStatus
from . import users
from .agents import Agent

CODE_PATTERN = re.compile(r"[A-Za-z0-9]{8}")
MAX_FAILED_ATTEMPTS = 10  # failed codes per chat before it has to wait
ATTEMPT_WINDOW_SECONDS = 600
ATTEMPTS_KEY = "pepeunit:verification-attempts:{}"


class ChatNotLinkedError(NoAccessError):
    """The chat is not linked to any user of this instance."""

    def __init__(self):
        super().__init__("User not found")


class ChatUserBlockedError(NoAccessError):
    def __init__(self):
        super().__init__("User is Blocked")


class TooManyAttemptsError(NoAccessError):
    def __init__(self):
        super().__init__("Too many verification attempts, try again later")


def user_for_chat(chat_id) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.telegram_chat_id == str(chat_id))
    ).scalar_one_or_none()


def agent_for_chat(chat_id) -> Agent:
    """The agent a Telegram chat acts as: its linked, not blocked user."""
    user = user_for_chat(chat_id)
    if user is None:
        raise ChatNotLinkedError()
    if user.status is UserStatus.BLOCKED:
        raise ChatUserBlockedError()
    return Agent(AgentType.USER, user.uuid, user.role, user.login)


def _count_failure(chat_id) -> None:
    key = ATTEMPTS_KEY.format(chat_id)
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, ATTEMPT_WINDOW_SECONDS, nx=True)
    pipe.execute()


def redeem_verification_code(chat_id, code: str) -> User:
    """Link ``chat_id`` to the user who generated ``code`` (one use, expires).

    Unknown, expired and already used codes all fail with the not-found error;
    a chat that keeps sending wrong codes is told to wait.
    """
    raw = get_redis().get(ATTEMPTS_KEY.format(chat_id))
    if raw is not None and int(raw) >= MAX_FAILED_ATTEMPTS:
        raise TooManyAttemptsError()
    if not CODE_PATTERN.fullmatch(code or ""):
        _count_failure(chat_id)
        raise not_found()
    try:
        return users.verify_telegram(str(chat_id), code)
    except ValidationError:
        db.session.rollback()
        _count_failure(chat_id)
        raise
    except NoAccessError as exc:  # verify_telegram refuses only a Blocked user this way
        db.session.rollback()
        raise ChatUserBlockedError() from exc
