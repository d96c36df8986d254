"""Webhook mode: the leader registers the webhook with a secret; the route checks it."""
from __future__ import annotations

import logging

import redis

from pepeunit.bot.settings import webhook_secret
from pepeunit.models import UserStatus
from pepeunit.services.users import VERIFICATION_KEY

from ..helpers import API, auth, new_user
from .common import stored_user, user_with_code
from .telegram_standin import message_update

BOT_URL = f"{API}/bot"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def post_update(client, payload, secret=None):
    headers = {HEADER: secret} if secret is not None else {}
    return client.post(BOT_URL, json=payload, headers=headers)


def test_leader_registers_the_webhook_with_a_secret_and_keeps_it(make_bot_app, start_runtime, standin):
    application = make_bot_app()  # PU_DOMAIN is a host name: webhook mode
    settings = application.config["PU_SETTINGS"]
    runtime = start_runtime(application)
    assert runtime.mode == "webhook"

    assert standin.wait_for(lambda: standin.calls_to("setWebhook"))
    call = standin.calls_to("setWebhook")[0]
    assert call.params["url"] == f"{settings.link_prefix_and_v1}/bot"
    assert call.params["secret_token"] == webhook_secret(settings)
    assert call.params["drop_pending_updates"] == "False"  # queued updates survive a restart
    assert call.json_param("allowed_updates") == ["message", "callback_query"]

    standin.handle("deleteWebhook", {}, {})  # someone removed it
    assert standin.wait_for(lambda: standin.webhook["url"] == call.params["url"])
    assert len(standin.calls_to("setWebhook")) == 2


def test_one_registrar_among_workers_and_any_worker_takes_updates(make_bot_app, start_runtime, standin):
    first, second = make_bot_app(), make_bot_app()
    runtimes = [start_runtime(first), start_runtime(second)]
    assert standin.wait_for(lambda: standin.calls_to("setWebhook"))
    assert standin.wait_for(lambda: sum(r.is_leader for r in runtimes) == 1)
    assert len(standin.calls_to("setWebhook")) == 1

    client, user, token, code = user_with_code(second, "webby")
    secret = standin.webhook["secret_token"]
    payload = dict(message_update(9001, f"/start {code}"), update_id=77)
    response = post_update(client, payload, secret)

    assert response.status_code == 200 and response.get_json() is None
    assert "successfully verified" in standin.wait_for_message(9001)[0]
    assert stored_user(second, user["uuid"]).telegram_chat_id == "9001"


def test_forged_updates_are_refused_and_change_nothing(make_bot_app, standin, redis_url):
    application = make_bot_app()
    client, user, token, code = user_with_code(application, "victim")
    payload = dict(message_update(666, f"/start {code}"), update_id=1)

    for secret in (None, "", "guess", webhook_secret(application.config["PU_SETTINGS"])[:-1] + "x"):
        response = post_update(client, payload, secret)
        assert response.status_code == 403
        assert response.get_json()["detail"].startswith("403: 1: No Access:")

    assert redis.Redis.from_url(redis_url).exists(VERIFICATION_KEY.format(code))  # code unspent
    untouched = stored_user(application, user["uuid"])
    assert untouched.status is UserStatus.UNVERIFIED and untouched.telegram_chat_id is None
    assert standin.calls == []


def test_bodies_that_are_not_updates_get_422(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    secret = webhook_secret(application.config["PU_SETTINGS"])
    for body in (None, [], {"message": {}}, {"update_id": "1"}, {"update_id": True}):
        response = client.post(BOT_URL, json=body, headers={HEADER: secret}) if body is not None else client.post(BOT_URL, headers={HEADER: secret})
        assert response.status_code == 422, body
    assert standin.calls == []


def test_a_bad_update_is_answered_200_so_telegram_does_not_retry(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    secret = webhook_secret(application.config["PU_SETTINGS"])
    broken = {"update_id": 5, "message": {"message_id": 1, "text": "/help"}}  # no chat, no date
    response = post_update(client, broken, secret)
    assert response.status_code == 200
    assert response.get_json()["status"] == "error"
    # the worker is fine: the next update is handled
    response = post_update(client, dict(message_update(9101, "/help"), update_id=6), secret)
    assert response.status_code == 200 and response.get_json() is None
    assert standin.wait_for_message(9101)


def test_a_telegram_outage_does_not_fail_the_webhook(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    secret = webhook_secret(application.config["PU_SETTINGS"])
    standin.stop()  # the reply cannot be sent
    response = post_update(client, dict(message_update(9201, "/help"), update_id=7), secret)
    assert response.status_code == 200


def test_an_explicit_secret_is_used(make_bot_app, start_runtime, standin):
    application = make_bot_app(PU_TELEGRAM_WEBHOOK_SECRET="my_Own-secret_123")
    start_runtime(application)
    assert standin.wait_for(lambda: standin.calls_to("setWebhook"))
    assert standin.calls_to("setWebhook")[0].params["secret_token"] == "my_Own-secret_123"
    client = application.test_client()
    ok = post_update(client, dict(message_update(9301, "/help"), update_id=8), "my_Own-secret_123")
    assert ok.status_code == 200


def test_feature_flag_off_disables_route_runtime_and_links(make_bot_app, start_runtime, standin):
    application = make_bot_app(PU_FF_TELEGRAM_BOT_ENABLE="false")
    client = application.test_client()
    runtime = start_runtime(application)
    assert runtime.mode is None and runtime.threads == []
    secret = webhook_secret(application.config["PU_SETTINGS"])
    assert post_update(client, dict(message_update(1, "/help"), update_id=1), secret).status_code == 404
    _, token = new_user(client, "nobot")
    response = client.get(f"{API}/users/generate_verification_link/", headers=auth(token))
    assert response.status_code == 405
    assert standin.calls == []


def test_an_empty_token_disables_the_bot_with_a_log_line(make_bot_app, start_runtime, standin, caplog):
    application = make_bot_app(PU_TELEGRAM_TOKEN="")
    with caplog.at_level(logging.INFO, logger="pepeunit.bot"):
        runtime = start_runtime(application)
    assert runtime.mode is None and runtime.threads == []
    assert any("PU_TELEGRAM_TOKEN is empty" in r.getMessage() for r in caplog.records), [(r.name, r.getMessage()) for r in caplog.records]
    client = application.test_client()
    secret = webhook_secret(application.config["PU_SETTINGS"])
    response = post_update(client, dict(message_update(1, "/help"), update_id=1), secret)
    assert response.status_code == 200 and response.get_json()["status"] == "error"
    assert standin.calls == []


def test_the_route_is_documented_only_when_the_bot_is_on(make_bot_app):
    on = make_bot_app().test_client().get(f"{API}/openapi.json").get_json()
    off = make_bot_app(PU_FF_TELEGRAM_BOT_ENABLE="false").test_client().get(f"{API}/openapi.json").get_json()
    assert "/pepeunit/api/v1/bot" in on["paths"]
    parameters = on["paths"]["/pepeunit/api/v1/bot"]["post"]["parameters"]
    assert any(p["name"] == HEADER and p["in"] == "header" for p in parameters)
    assert "/pepeunit/api/v1/bot" not in off["paths"]
