"""Mode choice, webhook secret, proxy and token handling; the stand-in's contract."""
from __future__ import annotations

import io
import logging

import pytest
from telebot import TeleBot
from telebot.apihelper import ApiTelegramException

from pepeunit.bot.client import build_bot, configure_api
from pepeunit.bot.settings import bot_mode, disabled_reason, webhook_secret, webhook_url
from pepeunit.config import ConfigError, Settings

from ..helpers import make_test_environ
from ..processes import free_port
from .common import send
from .telegram_standin import TOKEN


def settings_with(**env) -> Settings:
    return Settings.from_env(make_test_environ("postgresql://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/1", **env))


@pytest.mark.parametrize(
    "domain,mode,expected",
    [
        ("unit.example.com", "auto", "webhook"),
        ("unit.example.com:8443", "auto", "webhook"),
        ("192.168.0.5:8080", "auto", "polling"),
        ("192.168.0.5", "auto", "polling"),  # a bare IP: Telegram cannot reach it either
        ("[::1]:5000", "auto", "polling"),
        ("2001:db8::1", "auto", "polling"),
        ("localhost:5000", "auto", "polling"),
        ("unit.example.com", "polling", "polling"),
        ("unit.example.com", "pooling", "polling"),
        ("192.168.0.5:8080", "webhook", "webhook"),
    ],
)
def test_mode_from_domain_unless_set(domain, mode, expected):
    assert bot_mode(settings_with(PU_DOMAIN=domain, PU_TELEGRAM_BOT_MODE=mode)) == expected


def test_webhook_url_and_derived_secret():
    settings = settings_with(PU_DOMAIN="unit.example.com", PU_SECURE="true", PU_TELEGRAM_TOKEN=TOKEN)
    assert webhook_url(settings) == "https://unit.example.com/pepeunit/api/v1/bot"
    secret = webhook_secret(settings)
    assert secret == webhook_secret(settings_with(PU_DOMAIN="unit.example.com", PU_TELEGRAM_TOKEN=TOKEN))  # every worker agrees
    assert secret != webhook_secret(settings_with(PU_TELEGRAM_TOKEN="1:other"))
    assert secret != webhook_secret(settings_with(PU_TELEGRAM_TOKEN=TOKEN, PU_SECRET_KEY="another-secret-key-0123456789"))
    assert 1 <= len(secret) <= 256 and secret.isalnum()


@pytest.mark.parametrize("value", ["has space", "semi;colon", "x" * 257])
def test_a_webhook_secret_telegram_would_refuse_is_a_config_error(value):
    with pytest.raises(ConfigError, match="PU_TELEGRAM_WEBHOOK_SECRET"):
        settings_with(PU_TELEGRAM_WEBHOOK_SECRET=value)


def test_disabled_reasons():
    assert disabled_reason(settings_with(PU_TELEGRAM_TOKEN=TOKEN)) is None
    assert disabled_reason(settings_with(PU_TELEGRAM_TOKEN="")) == "PU_TELEGRAM_TOKEN is empty"
    assert "PU_FF_TELEGRAM_BOT_ENABLE" in disabled_reason(settings_with(PU_TELEGRAM_TOKEN=TOKEN, PU_FF_TELEGRAM_BOT_ENABLE="false"))


def test_a_malformed_token_disables_the_bot_instead_of_crashing(caplog):
    with caplog.at_level(logging.ERROR, logger="pepeunit.bot"):
        assert build_bot(settings_with(PU_TELEGRAM_TOKEN="no-colon-here")) is None
    assert any("malformed" in r.getMessage() for r in caplog.records)


def test_calls_go_through_the_configured_proxy(make_bot_app, standin):
    application = make_bot_app(PU_TELEGRAM_API_URL="http://telegram.invalid", PU_TELEGRAM_PROXY_URL=standin.url)
    send(application, 501, "/help")
    call = standin.calls_to("sendMessage")[0]
    assert call.via_proxy and call.params["chat_id"] == "501"


def test_an_unreachable_bot_api_does_not_break_a_handler(make_bot_app, standin):
    application = make_bot_app(PU_TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}")
    send(application, 502, "/help")  # the reply cannot be delivered; nothing raises
    assert standin.calls == []


def test_the_stand_in_speaks_the_methods_later_handlers_use(standin):
    configure_api(settings_with(PU_TELEGRAM_TOKEN=TOKEN, PU_TELEGRAM_API_URL=standin.url))
    bot = TeleBot(TOKEN, threaded=False)
    assert bot.get_me().username == "pepeunit_test_bot"
    document = bot.send_document(701, ("env.json", io.BytesIO(b'{"PU_DOMAIN": "x"}')), caption="env")
    assert document.document.file_name == "env.json" and document.document.file_size == 18
    call = standin.calls_to("sendDocument")[0]
    assert call.files["document"] == ("env.json", b'{"PU_DOMAIN": "x"}') and call.params["caption"] == "env"
    assert bot.answer_callback_query("cbq-1", text="done") is True
    edited = bot.edit_message_text("page 2", chat_id=701, message_id=document.message_id)
    assert edited.text == "page 2" and edited.message_id == document.message_id
    with pytest.raises(ApiTelegramException) as error:
        bot.send_message(701, "")
    assert error.value.error_code == 400
    assert TeleBot("1:wrong", threaded=False) and [c.method for c in standin.calls] == [
        "getMe", "sendDocument", "answerCallbackQuery", "editMessageText", "sendMessage"
    ]
    with pytest.raises(ApiTelegramException) as error:
        TeleBot("1:wrong", threaded=False).get_me()
    assert error.value.error_code == 401


def test_the_stand_in_takes_json_and_form_bodies(standin):
    import requests

    base = f"{standin.url}/bot{TOKEN}"
    as_json = requests.post(f"{base}/sendMessage", json={"chat_id": 9, "text": "hi", "reply_markup": {"inline_keyboard": []}}, timeout=5).json()
    as_form = requests.post(f"{base}/sendMessage", data={"chat_id": "9", "text": "ho"}, timeout=5).json()
    assert as_json["ok"] and as_json["result"]["text"] == "hi" and as_json["result"]["chat"]["id"] == 9
    assert as_form["ok"] and as_form["result"]["text"] == "ho"
    assert standin.calls_to("sendMessage")[0].json_param("reply_markup") == {"inline_keyboard": []}
    missing = requests.post(f"{base}/noSuchMethod", timeout=5)
    assert missing.status_code == 404 and missing.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


def test_the_stand_in_checks_buttons_edits_and_answers_like_telegram(standin):
    from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

    configure_api(settings_with(PU_TELEGRAM_TOKEN=TOKEN, PU_TELEGRAM_API_URL=standin.url))
    bot = TeleBot(TOKEN, threaded=False)

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup().row(InlineKeyboardButton("b", callback_data=data))

    sent = bot.send_message(702, "one", reply_markup=keyboard("x" * 64))
    assert standin.messages[(702, sent.message_id)]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x" * 64
    for bad in ("x" * 65, "я" * 33):  # 64 bytes, not characters
        with pytest.raises(ApiTelegramException) as error:
            bot.send_message(702, "two", reply_markup=keyboard(bad))
        assert error.value.description == "Bad Request: BUTTON_DATA_INVALID"
    with pytest.raises(ApiTelegramException) as error:
        bot.edit_message_text("one", chat_id=702, message_id=sent.message_id, reply_markup=keyboard("x" * 64))
    assert "message is not modified" in error.value.description
    edited = bot.edit_message_text("one", chat_id=702, message_id=sent.message_id, reply_markup=keyboard("y"))
    assert edited.message_id == sent.message_id and standin.messages[(702, sent.message_id)]["text"] == "one"
    for chat_id, message_id in ((702, sent.message_id + 100), (703, sent.message_id)):
        with pytest.raises(ApiTelegramException) as error:
            bot.edit_message_text("three", chat_id=chat_id, message_id=message_id)
        assert error.value.description == "Bad Request: message to edit not found"
    assert bot.answer_callback_query("cbq-2", text="t" * 200) is True
    with pytest.raises(ApiTelegramException) as error:
        bot.answer_callback_query("cbq-3", text="t" * 201)
    assert error.value.error_code == 400
