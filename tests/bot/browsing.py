"""A world for the browsing tests: a bot app over a real unit repository, linked chats,
and a thumb that presses the inline buttons of messages the bot sent to the stand-in
(the ``bot_world`` fixture in ``tests/bot/conftest.py`` builds it)."""
from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

from pepeunit.bot.client import bot_for
from pepeunit.bot.dispatch import process_update
from tests.helpers import new_user
from tests.unit_repo import create_unit

from .common import verification_code
from .telegram_standin import TelegramStandIn, message_update

OWNER_CHAT = 7001
_query_ids = itertools.count(1)


def callback_update(chat_id: int, message: dict, data: str) -> dict:
    """A ``callback_query`` Update as Telegram sends it when a button is pressed."""
    query = {
        "id": f"cbq-{next(_query_ids)}",
        "from": {"id": chat_id, "is_bot": False, "first_name": "Tester"},
        "message": message,
        "chat_instance": f"ci-{chat_id}",
        "data": data,
    }
    return {"update_id": 1, "callback_query": query}


@dataclasses.dataclass
class BotWorld:
    app: object
    client: object
    standin: TelegramStandIn
    owner: dict
    token: str
    work: Path
    registry_uuid: object
    repo_uuid: object

    # --- chats -----------------------------------------------------------------
    def run(self, payload: dict) -> None:
        assert process_update(self.app, bot_for(self.app), payload) is None

    def send(self, chat_id: int, text: str) -> dict:
        """Send a message; returns the bot's last message to the chat after it."""
        self.run(dict(message_update(chat_id, text), update_id=1))
        return self.last_message(chat_id)

    def link(self, token: str, chat_id: int) -> None:
        self.send(chat_id, f"/start {verification_code(self.client, token)}")
        assert "successfully verified" in self.standin.messages_to(chat_id)[-1]

    def user(self, login: str, chat_id: int | None = None) -> tuple[dict, str]:
        user, token = new_user(self.client, login)
        if chat_id is not None:
            self.link(token, chat_id)
        return user, token

    # --- messages and buttons -----------------------------------------------------
    def last_message(self, chat_id: int) -> dict:
        mine = [m for (chat, _), m in self.standin.messages.items() if chat == chat_id]
        assert mine, f"no message to chat {chat_id}"
        return max(mine, key=lambda m: m["message_id"])

    def message(self, chat_id: int, message_id: int) -> dict:
        return self.standin.messages[(chat_id, message_id)]

    def press(self, chat_id: int, label: str, message: dict | None = None) -> dict:
        """Press the button whose text starts with ``label``; returns the answerCallbackQuery params."""
        message = message or self.last_message(chat_id)
        found = [b for b in buttons(message) if b["text"].startswith(label)]
        assert len(found) == 1, f"{label!r} in {[b['text'] for b in buttons(message)]}"
        return self.press_data(chat_id, found[0]["callback_data"], message)

    def press_data(self, chat_id: int, data: str, message: dict | None = None) -> dict:
        message = message or self.last_message(chat_id)
        update = callback_update(chat_id, message, data)
        self.run(update)
        query_id = update["callback_query"]["id"]
        answers = [c.params for c in self.standin.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query_id]
        assert len(answers) == 1, f"callback {query_id} answered {len(answers)} times"
        return answers[0]

    # --- units -------------------------------------------------------------------------
    def create_unit(self, name: str, token: str | None = None, **fields) -> dict:
        return create_unit(self.client, token or self.token, self.repo_uuid, name, **fields)


def buttons(message: dict) -> list[dict]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


def labels(message: dict) -> list[str]:
    return [b["text"] for b in buttons(message)]


def open_unit(world: BotWorld, chat_id: int, name: str) -> dict:
    """Find unit ``name`` with /unit and press it; returns the message showing the unit."""
    listed = world.send(chat_id, f"/unit {name}")
    world.press(chat_id, name, listed)
    return world.message(chat_id, listed["message_id"])
