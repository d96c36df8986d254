"""Polling mode: one leader-elected poller across workers that survives Bot API trouble."""
from __future__ import annotations

import time

from .common import IP_DOMAIN
from .telegram_standin import OTHER_TOKEN


def replies(standin, chat_id):
    return standin.messages_to(chat_id)


def test_ip_domain_polls_after_removing_the_webhook_and_keeps_pending_updates(make_bot_app, start_runtime, standin):
    standin.handle("setWebhook", {"url": "https://old.example/bot"}, {})  # left over from webhook mode
    standin.push_message(1001, "/help")  # queued while nobody was polling
    application = make_bot_app(PU_DOMAIN=IP_DOMAIN)

    runtime = start_runtime(application)

    assert runtime.mode == "polling"
    assert standin.wait_for_message(1001)
    delete = standin.calls_to("deleteWebhook")[0]
    assert delete.params.get("drop_pending_updates") == "False"
    assert standin.calls.index(delete) < standin.calls.index(standin.calls_to("getUpdates")[0])
    assert standin.wait_for(lambda: standin.pending() == [])


def test_explicit_mode_overrides_the_guess(make_bot_app, start_runtime, standin):
    polling = start_runtime(make_bot_app(PU_TELEGRAM_BOT_MODE="pooling"))  # a host name, yet polling
    assert polling.mode == "polling"
    standin.push_message(1101, "/help")
    assert standin.wait_for_message(1101)
    assert standin.calls_to("setWebhook") == []
    polling.stop()

    webhook = start_runtime(make_bot_app(PU_DOMAIN=IP_DOMAIN, PU_TELEGRAM_BOT_MODE="webhook"))
    assert webhook.mode == "webhook"
    assert standin.wait_for(lambda: standin.calls_to("setWebhook"))


def test_two_workers_one_poller_and_failover(make_bot_app, start_runtime, standin):
    workers = [make_bot_app(PU_DOMAIN=IP_DOMAIN), make_bot_app(PU_DOMAIN=IP_DOMAIN)]
    runtimes = [start_runtime(app) for app in workers]
    assert standin.wait_for(lambda: sum(r.is_leader for r in runtimes) == 1)

    for chat in range(2001, 2006):
        standin.push_message(chat, "/help")
    for chat in range(2001, 2006):
        assert len(standin.wait_for_message(chat)) == 1
    time.sleep(1.0)  # a second poller, if there were one, would show up as a conflict by now
    assert sum(r.is_leader for r in runtimes) == 1
    assert standin.conflicts == 0 and standin.max_polls_in_flight == 1
    assert all(len(replies(standin, chat)) == 1 for chat in range(2001, 2006))  # each update once

    leader = next(r for r in runtimes if r.is_leader)
    follower = next(r for r in runtimes if r is not leader)
    leader.stop()
    assert standin.wait_for(lambda: follower.is_leader)
    standin.push_message(2100, "/help")
    assert standin.wait_for_message(2100)
    assert all(len(replies(standin, chat)) == 1 for chat in range(2001, 2006))  # nothing handled twice


def test_a_bot_api_that_is_down_or_failing_does_not_kill_the_poller(make_bot_app, start_runtime, standin):
    standin.stop()  # Telegram unreachable when the worker starts
    application = make_bot_app(PU_DOMAIN=IP_DOMAIN)
    runtime = start_runtime(application)
    assert standin.wait_for(lambda: runtime.is_leader)
    time.sleep(0.5)  # several failed attempts
    standin.start()
    standin.push_message(3001, "/help")
    assert standin.wait_for_message(3001)

    standin.fail_with(500)
    failures_before = len(standin.calls)
    assert standin.wait_for(lambda: len(standin.calls) >= failures_before + 3)  # it keeps retrying
    standin.fail_with(None)
    standin.push_message(3002, "/help")
    assert standin.wait_for_message(3002)
    assert runtime.is_leader and all(t.is_alive() for t in runtime.threads)


def test_a_malformed_update_is_skipped_and_polling_goes_on(make_bot_app, start_runtime, standin):
    standin.push_update({"message": {"message_id": 1, "text": "/help"}})  # no chat, no date
    standin.push_update({"message": "not even an object"})
    standin.push_message(4001, "/help")
    runtime = start_runtime(make_bot_app(PU_DOMAIN=IP_DOMAIN))
    assert standin.wait_for_message(4001)
    assert standin.wait_for(lambda: standin.pending() == [])
    assert runtime.is_leader


def test_a_second_bot_on_the_same_redis_answers_its_first_update(make_bot_app, start_runtime, standin, other_standin):
    first = start_runtime(make_bot_app(PU_DOMAIN=IP_DOMAIN))
    for chat in (5001, 5002, 5003):
        standin.push_message(chat, "/help")
    for chat in (5001, 5002, 5003):
        assert standin.wait_for_message(chat)
    first.stop()  # the first bot's offset (4) stays in Redis

    second_app = make_bot_app(PU_DOMAIN=IP_DOMAIN, PU_TELEGRAM_TOKEN=OTHER_TOKEN, PU_TELEGRAM_API_URL=other_standin.url)
    second = start_runtime(second_app)
    assert second.mode == "polling"
    first_ids = [other_standin.push_message(5101, text) for text in ("/start", "/help", "/info")]
    assert first_ids == [1, 2, 3]  # below the first bot's offset
    assert len(other_standin.wait_for_message(5101, count=3)) == 3
