"""/start, /help, /info and everything else, answered through the stand-in."""
from __future__ import annotations

from pepeunit import __version__
from pepeunit.bot import texts

from ..helpers import API, auth, new_user
from .common import linked_user, send


def buttons(call) -> dict:
    rows = call.json_param("reply_markup")["inline_keyboard"]
    return {button["text"]: button["url"] for row in rows for button in row}


def test_start_and_help_without_code_show_the_commands(make_bot_app, standin):
    application = make_bot_app()
    settings = application.config["PU_SETTINGS"]
    send(application, 8001, "/start")
    send(application, 8001, "/help")
    send(application, 8001, "/help@pepeunit_test_bot")
    calls = standin.calls_to("sendMessage")
    assert len(calls) == 3
    for call in calls:
        text = call.params["text"]
        assert call.params["parse_mode"] == "HTML"
        for command in ("/start", "/help", "/info", "/repo", "/unit", "/registry"):
            assert command in text
        assert settings.PU_DOMAIN in text
        assert buttons(call) == {
            "Instance": settings.link,
            "Docs": "https://pepeunit.com",
            "Swagger": f"{settings.link_prefix}/docs",
            "GraphQL": f"{settings.link_prefix}/graphql",
        }


def test_info_for_a_linked_chat_shows_version_and_metrics(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    linked_user(application, client, "ivan1", 8101)
    new_user(client, "judy1")

    send(application, 8101, "/info")

    call = standin.calls_to("sendMessage")[-1]
    text = call.params["text"]
    metrics = client.get(f"{API}/metrics/").get_json()
    assert __version__ in text
    assert "Users - 2" in text and metrics["user_count"] == 2
    for label, key in (("Repos", "repo_count"), ("Units", "unit_count"), ("UnitNodes", "unit_node_count")):
        assert f"{label} - {metrics[key]}" in text
    assert set(buttons(call)) == {"Swagger", "GraphQL"}


def test_info_for_an_unlinked_chat_says_how_to_link(make_bot_app, standin):
    application = make_bot_app()
    send(application, 8201, "/info")
    text = standin.messages_to(8201)[0]
    assert "not linked" in text and "verification link" in text
    assert "Users -" not in text


def test_info_for_a_blocked_user_is_refused(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    _, admin_token = new_user(client, "admin")
    user, _ = linked_user(application, client, "mallory", 8301)
    assert client.patch(f"{API}/users/block/{user['uuid']}", headers=auth(admin_token)).status_code == 204

    send(application, 8301, "/info")

    assert "is blocked" in standin.messages_to(8301)[-1]
    assert all("Users -" not in text for text in standin.messages_to(8301))


def test_other_messages_point_to_help(make_bot_app, standin):
    application = make_bot_app()
    send(application, 8401, "/frobnicate")
    send(application, 8401, "hello")
    assert standin.messages_to(8401) == [texts.UNKNOWN_COMMAND, texts.UNKNOWN_COMMAND]
    send(application, -8401, "chatter in a group", chat_type="group")
    assert standin.messages_to(-8401) == []  # the bot does not answer group chatter


def test_a_broken_backend_gets_an_apology_not_a_crash(make_bot_app, standin):
    application = make_bot_app(PU_REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    send(application, 8501, "/start AbCdEf12")
    assert standin.messages_to(8501) == [texts.UNEXPECTED]


def test_a_failing_bot_api_does_not_break_handling(make_bot_app, standin):
    application = make_bot_app()
    standin.fail_with(500)
    send(application, 8601, "/help")  # the reply fails; the update is still handled
    assert [c.method for c in standin.calls] == ["sendMessage"]
    standin.fail_with(None)
    send(application, 8601, "/help")
    assert len(standin.messages_to(8601)) == 2
