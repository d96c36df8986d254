"""The recent-logs view of a unit: newest first, paged, creator only; LogSync empties it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pepeunit.bot.handlers.unit_actions import LOGS_PAGE_SIZE
from pepeunit.bot.views import visible_length
from pepeunit.extensions import db
from pepeunit.models import LogLevel
from pepeunit.services import unit_logs

from .browsing import OWNER_CHAT, labels, open_unit

START = datetime(2030, 1, 2, 3, 4, 5)


def store_logs(world, unit_uuid, count: int) -> None:
    levels = list(LogLevel)
    entries = [unit_logs.LogEntry(uuid.UUID(unit_uuid), levels[n % len(levels)], f"line {n} <x>", START + timedelta(seconds=n))
               for n in range(count)]
    with world.app.app_context():
        assert unit_logs.store(entries) == count
        db.session.commit()


def test_logs_newest_first_paged_and_emptied_by_log_sync(bot_world):
    unit = bot_world.create_unit("unit-a")
    store_logs(bot_world, unit["uuid"], LOGS_PAGE_SIZE + 2)
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")

    bot_world.press(OWNER_CHAT, "Logs", view)
    first = bot_world.message(OWNER_CHAT, view["message_id"])
    total = LOGS_PAGE_SIZE + 2
    assert f"<b>Logs of unit-a</b>: {total}, newest first, page 1 of 2" in first["text"]
    lines = [line for line in first["text"].splitlines() if " line " in line]
    assert len(lines) == LOGS_PAGE_SIZE
    newest = total - 1
    assert lines[0] == f"01-02 03:04:{5 + newest:02d} <b>{list(LogLevel)[newest % 5].value}</b> line {newest} &lt;x&gt;"
    assert lines[-1].endswith(f"line {total - LOGS_PAGE_SIZE} &lt;x&gt;")

    bot_world.press(OWNER_CHAT, "Next »", first)
    second = bot_world.message(OWNER_CHAT, view["message_id"])
    assert "page 2 of 2" in second["text"] and "line 1 &lt;x&gt;" in second["text"] and "line 0 &lt;x&gt;" in second["text"]

    bot_world.press(OWNER_CHAT, "« Unit", second)
    back = bot_world.message(OWNER_CHAT, view["message_id"])
    assert "LogSync sent to unit-a." == bot_world.press(OWNER_CHAT, "LogSync", back)["text"]
    bot_world.press(OWNER_CHAT, "Logs", back)
    emptied = bot_world.message(OWNER_CHAT, view["message_id"])
    assert "<b>Logs of unit-a</b>: 0" in emptied["text"] and "No log lines" in emptied["text"]
    assert labels(emptied) == ["↻ Refresh", "« Unit"]


def test_long_log_lines_are_clipped_and_the_message_stays_under_telegrams_limit(bot_world):
    unit = bot_world.create_unit("unit-a")
    entries = [unit_logs.LogEntry(uuid.UUID(unit["uuid"]), LogLevel.ERROR, "<&>" * 400, START + timedelta(seconds=n))
               for n in range(LOGS_PAGE_SIZE)]
    with bot_world.app.app_context():
        unit_logs.store(entries)
        db.session.commit()
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")
    bot_world.press(OWNER_CHAT, "Logs", view)
    text = bot_world.message(OWNER_CHAT, view["message_id"])["text"]
    assert visible_length(text) <= 4096 and text.count("<b>") == text.count("</b>")
    lines = [line for line in text.splitlines() if "<b>Error</b>" in line]
    assert len(lines) == LOGS_PAGE_SIZE
    assert all(line.endswith("&lt;&amp;&gt;" * 66 + "&lt;…") for line in lines)


def test_a_text_over_the_limit_keeps_whole_lines():
    from pepeunit.bot.views import _finish

    text = _finish(["<b>" + "x" * 150 + "</b>"] * 40)
    assert visible_length(text) <= 4000 and text.endswith("\n…")
    assert all(line == "<b>" + "x" * 150 + "</b>" for line in text.splitlines()[:-1])
