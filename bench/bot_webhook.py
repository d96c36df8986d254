"""Webhook path cost: POST /pepeunit/api/v1/bot with /help updates, replies to the stand-in.

Runs in-process (Flask test client) against the tests' Bot API stand-in; no
database access is needed for /help. Prints updates/s and p50/p95/p99 latency
of the route (secret check, parse, pool hand-off, handler, sendMessage).

    .venv/bin/python -m bench.bot_webhook [count]
"""
from __future__ import annotations

import base64
import statistics
import sys
import time

from pepeunit import create_app
from pepeunit.bot.settings import webhook_secret
from pepeunit.config import Settings
from tests.bot.telegram_standin import TOKEN, TelegramStandIn, message_update


def main(count: int = 1000) -> None:
    standin = TelegramStandIn().start()
    settings = Settings.from_env({
        "PU_DOMAIN": "bench.example.com", "PU_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "PU_ENCRYPT_KEY": base64.b64encode(b"k" * 32).decode(),
        "PU_SQLALCHEMY_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/unused",
        "PU_MQTT_HOST": "127.0.0.1", "PU_LOG_LEVEL": "WARNING",
        "PU_TELEGRAM_TOKEN": TOKEN, "PU_TELEGRAM_API_URL": standin.url,
    })
    client = create_app(settings).test_client()
    headers = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(settings)}
    latencies = []
    started = time.perf_counter()
    for n in range(1, count + 1):
        payload = dict(message_update(1000 + n, "/help"), update_id=n)
        t0 = time.perf_counter()
        response = client.post("/pepeunit/api/v1/bot", json=payload, headers=headers)
        latencies.append(time.perf_counter() - t0)
        assert response.status_code == 200
    elapsed = time.perf_counter() - started
    standin.wait_for(lambda: len(standin.calls_to("sendMessage")) >= count, 30)
    q = statistics.quantiles(latencies, n=100)
    print(f"{count} updates in {elapsed:.2f}s: {count / elapsed:.0f} updates/s; "
          f"p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; "
          f"replies recorded {len(standin.calls_to('sendMessage'))}")
    standin.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
