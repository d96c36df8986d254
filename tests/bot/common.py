"""What the bot tests share: fast runtime timings, a runtime running only the Telegram job, a
domain that makes the bot poll, and chat helpers."""
from __future__ import annotations

import uuid

from pepeunit.bot.background import TELEGRAM, telegram_job
from pepeunit.bot.client import bot_for
from pepeunit.bot.dispatch import process_update
from pepeunit.extensions import db
from pepeunit.models import User
from pepeunit.runtime.runner import Runtime

from ..helpers import API, auth, new_user
from .telegram_standin import message_update

FAST = {"lease_ttl_ms": 600, "long_poll_seconds": 1, "webhook_check_seconds": 0.3, "retry_seconds": 0.1}
IP_DOMAIN = "127.0.0.1:5000"


class BotRuntime:
    """A worker's runtime running only the Telegram job, as the bot tests look at it."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    @property
    def mode(self) -> str | None:
        """The mode of the job the runtime started (None: the bot is off)."""
        runner = self.runtime.runners.get(TELEGRAM)
        return runner.__self__.mode if runner is not None else None

    @property
    def threads(self) -> list:
        return self.runtime.threads

    @property
    def is_leader(self) -> bool:
        return self.runtime.is_leader

    def stop(self) -> None:
        self.runtime.stop()


def start_bot_runtime(application, **timings) -> BotRuntime:
    """Start the Telegram job in this "worker" the way ``start_in_worker`` does, with ``timings``."""
    return BotRuntime(Runtime(application, [telegram_job(**timings)]).start())


def verification_code(client, token) -> str:
    response = client.get(f"{API}/users/generate_verification_link/", headers=auth(token))
    assert response.status_code == 200, response.get_json()
    link = response.get_json()
    prefix = "https://t.me/pepeunit_bot?start="
    assert link.startswith(prefix)
    return link[len(prefix):]


def stored_user(application, user_uuid) -> User:
    with application.app_context():
        user = db.session.get(User, uuid.UUID(user_uuid))
        db.session.expunge(user)
        return user


def send(application, chat_id: int, text: str, chat_type: str = "private") -> None:
    payload = dict(message_update(chat_id, text, chat_type), update_id=1)
    assert process_update(application, bot_for(application), payload) is None


def linked_user(application, client, login: str, chat_id: int):
    """A new user whose Telegram chat ``chat_id`` is verified (``/start <code>``): ``(user, token)``."""
    user, token = new_user(client, login)
    send(application, chat_id, f"/start {verification_code(client, token)}")
    return user, token


def user_with_code(application, login: str):
    """A new user of ``application`` and a fresh verification code: ``(client, user, token, code)``."""
    client = application.test_client()
    user, token = new_user(client, login)
    return client, user, token, verification_code(client, token)
