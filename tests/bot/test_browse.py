"""/repo, /unit and /registry: lists, paging, filters, opening entries, going back."""
from __future__ import annotations

import redis

from pepeunit.bot.list_views import KEY, PAGE_SIZE
from pepeunit.bot.settings import webhook_secret
from tests.helpers import API, auth, wait_until

from .browsing import OWNER_CHAT, buttons, callback_update, labels


def data_of(message: dict, label: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if b["text"] == label)


def test_unit_list_pages_forward_and_back_by_editing_the_message(bot_world):
    names = [f"unit-{n:02d}" for n in range(PAGE_SIZE + 2)]
    for name in names:
        bot_world.create_unit(name)

    first = bot_world.send(OWNER_CHAT, "/unit")
    assert f"<b>Units</b>: {len(names)} found, page 1 of 2" in first["text"]
    assert [label.split(" · ")[0] for label in labels(first)[:PAGE_SIZE]] == names[:PAGE_SIZE]
    assert "1/2" in labels(first) and "Next »" in labels(first) and "« Prev" not in labels(first)
    sent = len(bot_world.standin.calls_to("sendMessage"))

    answer = bot_world.press(OWNER_CHAT, "Next »", first)
    assert answer.get("text") is None and answer.get("show_alert") is None
    edited = bot_world.message(OWNER_CHAT, first["message_id"])
    assert "page 2 of 2" in edited["text"]
    assert [label.split(" · ")[0] for label in labels(edited)[:2]] == names[PAGE_SIZE:]
    assert "Next »" not in labels(edited) and "« Prev" in labels(edited)
    assert len(bot_world.standin.calls_to("sendMessage")) == sent  # paging edits, never sends

    bot_world.press(OWNER_CHAT, "« Prev", edited)
    back = bot_world.message(OWNER_CHAT, first["message_id"])
    assert "page 1 of 2" in back["text"]
    # the page counter does nothing but answer
    edits = len(bot_world.standin.calls_to("editMessageText"))
    assert "text" not in bot_world.press(OWNER_CHAT, "1/2", back)
    assert len(bot_world.standin.calls_to("editMessageText")) == edits
    for button in buttons(back):
        assert 1 <= len(button["callback_data"].encode()) <= 64


def test_search_words_and_clearing_the_search(bot_world):
    for name in ("weather-a", "weather-b", "pump-1"):
        bot_world.create_unit(name)
    found = bot_world.send(OWNER_CHAT, "/unit   weather   b")
    assert "1 found" in found["text"] and "Search: <i>weather b</i>" in found["text"]
    assert labels(found)[0] == "weather-b · Public"
    bot_world.press(OWNER_CHAT, "✕ Clear search", found)
    cleared = bot_world.message(OWNER_CHAT, found["message_id"])
    assert "3 found" in cleared["text"] and "Search:" not in cleared["text"]

    nothing = bot_world.send(OWNER_CHAT, "/unit@pepeunit_test_bot <b>none</b>")
    assert "0 found" in nothing["text"] and "&lt;b&gt;none&lt;/b&gt;" in nothing["text"]
    assert "Nothing matches" in nothing["text"]


def test_mine_and_visibility_filters(bot_world):
    other, other_token = bot_world.user("other1", 7101)
    bot_world.create_unit("own-public")
    bot_world.create_unit("own-private", visibility_level="Private")
    bot_world.create_unit("their-internal", token=other_token, visibility_level="Internal")
    bot_world.create_unit("their-private", token=other_token, visibility_level="Private")

    listed = bot_world.send(OWNER_CHAT, "/unit")
    assert sorted(label.split(" · ")[0] for label in labels(listed)[:3]) == ["own-private", "own-public", "their-internal"]
    assert "3 found" in listed["text"]  # their-private is not visible to the owner

    bot_world.press(OWNER_CHAT, "Mine only", listed)
    mine = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "2 found" in mine["text"] and "✓ Mine only" in labels(mine) and "mine only" in mine["text"]

    bot_world.press(OWNER_CHAT, "✓ Private", mine)
    public_only = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "1 found" in public_only["text"] and labels(public_only)[0] == "own-public · Public"
    assert "Private" in labels(public_only) and "levels: Public, Internal" in public_only["text"]

    theirs = bot_world.send(7101, "/unit")  # the other user's own view
    assert "3 found" in theirs["text"] and "their-private · Private" in labels(theirs)


def test_repo_list_open_repo_units_and_back(bot_world):
    bot_world.create_unit("unit-a")
    listed = bot_world.send(OWNER_CHAT, "/repo")
    assert "<b>Repos</b>: 1 found" in listed["text"] and labels(listed)[0] == "repo-one · Public"

    bot_world.press(OWNER_CHAT, "repo-one", listed)
    repo = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "<b>Repo repo-one</b> (yours)" in repo["text"] and "Default branch: main" in repo["text"]
    assert f"file://{bot_world.work}" in repo["text"]
    assert labels(repo) == ["Units", "Repository", "« Back to the list"]

    bot_world.press(OWNER_CHAT, "Units", repo)
    units = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "<b>Units</b>: 1 found" in units["text"] and "Under: <b>repo repo-one</b>" in units["text"]

    bot_world.press(OWNER_CHAT, "unit-a", units)
    unit = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "<b>Unit unit-a</b> (yours)" in unit["text"] and "Repo: repo-one" in unit["text"]
    assert "Target: " in unit["text"]

    bot_world.press(OWNER_CHAT, "« Back to the list", unit)
    assert "Under: <b>repo repo-one</b>" in bot_world.message(OWNER_CHAT, listed["message_id"])["text"]


def test_registry_list_filters_and_repos_over_it(bot_world):
    listed = bot_world.send(OWNER_CHAT, "/registry")
    assert "<b>Repository registry</b>: 1 found" in listed["text"]
    assert labels(listed)[0].startswith("file://")

    bot_world.press(OWNER_CHAT, "Public + private", listed)
    public = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "public only" in public["text"] and "1 found" in public["text"]
    bot_world.press(OWNER_CHAT, "Public only", public)
    private = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "private only" in private["text"] and "0 found" in private["text"]
    bot_world.press(OWNER_CHAT, "Private only", private)
    both = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "public and private" in both["text"] and "1 found" in both["text"]

    bot_world.press(OWNER_CHAT, "file://", both)
    entry = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "Platform: Github; public" in entry["text"] and "Branches: main" in entry["text"]
    bot_world.press(OWNER_CHAT, "Repos over it", entry)
    repos = bot_world.message(OWNER_CHAT, listed["message_id"])
    assert "<b>Repos</b>: 1 found" in repos["text"] and labels(repos)[0] == "repo-one · Public"


def test_an_expired_list_says_so_and_changes_nothing(bot_world, redis_url):
    bot_world.create_unit("unit-a")
    listed = bot_world.send(OWNER_CHAT, "/unit")
    store = redis.Redis.from_url(redis_url)
    keys = store.keys(KEY.format(bot_world.app.config["PU_SETTINGS"].PU_DOMAIN, OWNER_CHAT, "*"))
    assert len(keys) == 1 and 0 < store.ttl(keys[0]) <= 24 * 3600
    store.delete(*keys)
    edits = len(bot_world.standin.calls_to("editMessageText"))

    answer = bot_world.press(OWNER_CHAT, "Mine only", listed)

    assert answer["show_alert"] == "True" and "expired" in answer["text"]
    assert len(bot_world.standin.calls_to("editMessageText")) == edits


def test_a_list_token_of_another_chat_is_not_found(bot_world):
    bot_world.user("other1", 7101)
    listed = bot_world.send(OWNER_CHAT, "/unit")
    token_data = next(b["callback_data"] for b in buttons(listed) if b["text"] == "Mine only")
    answer = bot_world.press_data(7101, token_data, bot_world.send(7101, "/unit"))
    assert answer["show_alert"] == "True" and "expired" in answer["text"]


def test_unlinked_and_blocked_chats_are_refused(bot_world):
    unlinked = bot_world.send(7301, "/repo")
    assert "not linked" in unlinked["text"] and not buttons(unlinked)

    user, _ = bot_world.user("blocky", 7302)
    listed = bot_world.send(7302, "/unit")
    blocked = bot_world.client.patch(f"{API}/users/block/{user['uuid']}", headers=auth(bot_world.token))  # owner1 is the Admin
    assert blocked.status_code == 204
    assert "is blocked" in bot_world.send(7302, "/registry")["text"]
    answer = bot_world.press(7302, "Mine only", listed)
    assert answer["show_alert"] == "True" and "is blocked" in answer["text"]
    elsewhere = dict(listed, chat={"id": 7301, "type": "private", "first_name": "Tester"})
    answer = bot_world.press(7301, "Mine only", elsewhere)
    assert answer["show_alert"] == "True" and "not linked" in answer["text"]



def test_buttons_work_through_the_webhook_and_the_polling_thread(bot_world, make_bot_app, start_runtime, tmp_path):
    for n in range(PAGE_SIZE + 1):
        bot_world.create_unit(f"unit-{n}")
    standin = bot_world.standin

    # webhook: the route takes a callback query like any other update
    listed = bot_world.send(OWNER_CHAT, "/unit")
    secret = webhook_secret(bot_world.app.config["PU_SETTINGS"])
    update = dict(callback_update(OWNER_CHAT, listed, data_of(listed, "Next »")), update_id=50)
    response = bot_world.client.post(f"{API}/bot", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    assert response.status_code == 200
    assert wait_until(lambda: "page 2 of 2" in bot_world.message(OWNER_CHAT, listed["message_id"])["text"])

    # polling: a worker in polling mode over the same database, repositories and stand-in
    worker = make_bot_app(PU_TELEGRAM_BOT_MODE="polling", PU_SAVE_REPO_PATH=str(tmp_path / "repo_cache"))
    assert start_runtime(worker).mode == "polling"
    sent = len(standin.calls_to("sendMessage"))
    standin.push_message(OWNER_CHAT, "/unit unit-1")
    assert wait_until(lambda: len(standin.calls_to("sendMessage")) > sent)
    found = bot_world.last_message(OWNER_CHAT)
    assert "1 found" in found["text"]
    standin.push_update(callback_update(OWNER_CHAT, found, data_of(found, "unit-1 · Public")))
    assert wait_until(lambda: "<b>Unit unit-1</b>" in bot_world.message(OWNER_CHAT, found["message_id"])["text"])
    assert wait_until(lambda: len(standin.calls_to("answerCallbackQuery")) == 2)
