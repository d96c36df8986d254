"""REST door for Telegram: ``POST /pepeunit/api/v1/bot`` (the webhook).

Registered only when PU_FF_TELEGRAM_BOT_ENABLE is on. A request must carry the
secret token the leader registered with ``setWebhook`` in
``X-Telegram-Bot-Api-Secret-Token`` (403 otherwise, nothing is processed). The
update runs in the per-process update pool; the request waits for it at most
``WAIT_SECONDS`` and then answers 200 whatever happened, so Telegram does not
retry an update that failed and a slow update never holds the worker for long.
"""
from __future__ import annotations

import hmac
from concurrent.futures import TimeoutError as FutureTimeout

from flask import current_app, jsonify, request
from flask.views import MethodView

from ..bot.client import bot_for
from ..bot.dispatch import pool_for, process_update
from ..bot.settings import webhook_secret
from ..errors import NoAccessError, ValidationError
from ..extensions import get_settings
from .arguments import Blueprint

blp = Blueprint("bot", __name__, url_prefix="/bot", description="Telegram webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WAIT_SECONDS = 2.0


def _check_secret(settings) -> None:
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), webhook_secret(settings).encode()):
        raise NoAccessError("Telegram secret token is missing or wrong")


def _update_from_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int) or isinstance(body.get("update_id"), bool):
        raise ValidationError("Telegram Update expected: a JSON object with an integer update_id")
    return body


def _error(message: str):
    return jsonify(status="error", message=message), 200


@blp.route("")
class Webhook(MethodView):
    @blp.response(200)
    @blp.doc(
        security=[],
        parameters=[{"in": "header", "name": SECRET_HEADER, "required": True, "schema": {"type": "string"}}],
        requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    )
    def post(self):
        """Receive one Telegram Update (only Telegram knows the secret token)."""
        app = current_app._get_current_object()
        settings = get_settings(app)
        _check_secret(settings)
        update = _update_from_body()
        bot = bot_for(app)
        if bot is None:
            return _error("The Telegram bot is not configured on this instance")
        future = pool_for(app).submit(process_update, app, bot, update)
        if future is None:  # every slot busy: let Telegram deliver it again later
            return jsonify(detail="503: Telegram update queue is full"), 503
        try:
            failure = future.result(timeout=WAIT_SECONDS)
        except FutureTimeout:
            return None  # still running in the pool; its outcome is logged there
        if failure:
            return _error(failure)
        return None
