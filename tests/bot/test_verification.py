"""Linking a Telegram chat to a user with the one-time deep-link code."""
from __future__ import annotations

import redis

from pepeunit.models import UserStatus
from pepeunit.services.telegram import MAX_FAILED_ATTEMPTS
from pepeunit.services.users import VERIFICATION_KEY

from ..helpers import API, auth, login, new_user
from .common import IP_DOMAIN, linked_user, send, stored_user, user_with_code, verification_code


def test_verification_end_to_end_through_the_polling_thread(make_bot_app, start_runtime, standin):
    application = make_bot_app(PU_DOMAIN=IP_DOMAIN)
    client, user, token, code = user_with_code(application, "alice")
    assert stored_user(application, user["uuid"]).status is UserStatus.UNVERIFIED

    runtime = start_runtime(application)
    assert runtime.mode == "polling"
    standin.push_message(5001, f"/start {code}")

    reply = standin.wait_for_message(5001)[0]
    assert "successfully verified" in reply and "<b>alice</b>" in reply
    linked = stored_user(application, user["uuid"])
    assert linked.status is UserStatus.VERIFIED and linked.telegram_chat_id == "5001"
    assert client.get(f"{API}/users/{user['uuid']}", headers=auth(token)).get_json()["status"] == "Verified"
    assert login(client, "5001")  # the linked chat id now works as credentials
    # the handled update is confirmed on the next getUpdates (offset = id + 1)
    assert standin.wait_for(lambda: standin.pending() == [])


def test_a_code_works_once(make_bot_app, standin):
    application = make_bot_app()
    client, user, token, code = user_with_code(application, "bobby")

    send(application, 6001, f"/start {code}")
    send(application, 6002, f"/start {code}")

    assert "successfully verified" in standin.messages_to(6001)[0]
    assert "expired or was already used" in standin.messages_to(6002)[0]
    assert stored_user(application, user["uuid"]).telegram_chat_id == "6001"


def test_an_expired_code_is_refused(make_bot_app, standin, redis_url):
    application = make_bot_app()
    client, user, token, code = user_with_code(application, "carol")
    key = VERIFICATION_KEY.format(code)
    store = redis.Redis.from_url(redis_url)
    assert 0 < store.ttl(key) <= 60  # the code is stored with its expiry
    store.pexpire(key, 1)  # let the expiry pass
    assert standin.wait_for(lambda: not store.exists(key))

    send(application, 6101, f"/start {code}")

    assert "expired or was already used" in standin.messages_to(6101)[0]
    refused = stored_user(application, user["uuid"])
    assert refused.status is UserStatus.UNVERIFIED and refused.telegram_chat_id is None


def test_unknown_and_malformed_codes_are_refused(make_bot_app, standin):
    application = make_bot_app()
    send(application, 6201, "/start AAAAAAAA")
    send(application, 6201, "/start not-a-code;DROP")
    assert all("expired or was already used" in text for text in standin.messages_to(6201))
    assert len(standin.messages_to(6201)) == 2


def test_a_chat_guessing_codes_is_stopped(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    user, token = new_user(client, "david")
    for _ in range(MAX_FAILED_ATTEMPTS):
        send(application, 6301, "/start ZZZZZZZZ")
    code = verification_code(client, token)  # even a good code now waits
    send(application, 6301, f"/start {code}")
    assert "Too many wrong verification codes" in standin.messages_to(6301)[-1]
    assert stored_user(application, user["uuid"]).telegram_chat_id is None
    send(application, 6302, f"/start {code}")  # another chat is not affected
    assert "successfully verified" in standin.messages_to(6302)[-1]


def test_a_chat_linked_to_another_user_is_not_moved(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    first, _ = linked_user(application, client, "erinn", 6401)
    second, second_token = new_user(client, "frank")
    send(application, 6401, f"/start {verification_code(client, second_token)}")
    assert "already linked to another user" in standin.messages_to(6401)[-1]
    assert stored_user(application, first["uuid"]).telegram_chat_id == "6401"
    assert stored_user(application, second["uuid"]).telegram_chat_id is None


def test_a_blocked_user_is_not_verified(make_bot_app, standin):
    application = make_bot_app()
    client = application.test_client()
    admin, admin_token = new_user(client, "admin")  # first user: Admin
    user, token = new_user(client, "grace")
    code = verification_code(client, token)
    assert client.patch(f"{API}/users/block/{user['uuid']}", headers=auth(admin_token)).status_code == 204

    send(application, 6501, f"/start {code}")

    assert "is blocked" in standin.messages_to(6501)[0]
    blocked = stored_user(application, user["uuid"])
    assert blocked.status is UserStatus.BLOCKED and blocked.telegram_chat_id is None


def test_verification_only_in_a_private_chat(make_bot_app, standin):
    application = make_bot_app()
    client, user, token, code = user_with_code(application, "heidi")
    send(application, -7001, f"/start {code}", chat_type="group")
    assert "private chat" in standin.messages_to(-7001)[0]
    assert stored_user(application, user["uuid"]).telegram_chat_id is None
    send(application, 7001, f"/start {code}")  # the code was not spent by the refusal
    assert "successfully verified" in standin.messages_to(7001)[0]
