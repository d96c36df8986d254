"""REST door for the broker's authorization hook: ``POST /pepeunit/api/v1/units/auth``.

EMQX (and the dev broker) post ``{"token", "topic", "action", "clientid"}``; the
answer is always HTTP 200 with ``{"result": "allow"}`` or ``{"result": "deny"}``.
A malformed body is a deny, not a 422: EMQX would read a 422 as "ignore".

The broker asks on every publish and subscribe it has not cached, so this is the
busiest route of an instance. ``HookFastPath`` answers it in front of Flask's
routing (the decision itself is the same ``answer`` the documented view uses).
"""
from __future__ import annotations

import json
import logging
import time

from flask import Response, request
from flask.views import MethodView

from .. import outages
from ..observability import log_context, request_context
from ..observability import prometheus_metrics as figures
from ..services import mqtt_auth as service
from .arguments import Blueprint

log = logging.getLogger(__name__)
blp = Blueprint("mqtt_auth", __name__, url_prefix="/units", description="MQTT broker authorization hook")

_ALLOW, _DENY = b'{"result": "allow"}', b'{"result": "deny"}'
MAX_BODY = 64 * 1024  # a JWT and a topic; anything larger is not a broker asking
_BODY_DOC = {
    "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
        "token": {"type": "string"}, "topic": {"type": "string"},
        "action": {"type": "string", "enum": ["publish", "subscribe", "connect"]},
        "clientid": {"type": "string"}}, "required": ["token", "topic"]}}}},
    "responses": {"200": {"description": "the decision", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"result": {"type": "string", "enum": ["allow", "deny"]}}}}}}},
}


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


# The busiest route: its series are resolved once, not per call (bench/prometheus_overhead.py).
_DECISIONS = {decision: (figures.MQTT_AUTH_DECISIONS.labels(decision), figures.MQTT_AUTH_LATENCY.labels(decision))
              for decision in ("allow", "deny", "malformed", "error")}


def answer(raw: bytes) -> bytes:
    """The response body for a raw request body; any problem is a deny. Counted by decision."""
    started = time.perf_counter()
    decision = _decide(raw)
    count, latency = _DECISIONS[decision]
    count.inc()
    latency.observe(time.perf_counter() - started)
    return _ALLOW if decision == "allow" else _DENY


def _decide(raw: bytes) -> str:
    """"allow", "deny", "malformed" (not a broker's question) or "error" (a failure: denied)."""
    try:
        body = json.loads(raw) if raw and len(raw) <= MAX_BODY else None
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict) or _text(body, "token") is None or _text(body, "topic") is None:
        return "malformed"
    log_context.bind(mqtt_topic=_text(body, "topic")[:200])
    try:
        allowed = service.is_allowed(_text(body, "token"), _text(body, "topic"),
                                     _text(body, "action"), _text(body, "clientid"))
    except Exception as error:  # the hook must answer; a surprise is logged and denied
        dependency = outages.dependency_of(error)
        if dependency:  # an outage: counted and logged once by the tracker, not a traceback per hook call
            outages.refused(dependency)
        else:
            log.exception("authorization hook failed")
        return "error"
    return "allow" if allowed else "deny"


@blp.route("/auth")
class MqttAuth(MethodView):
    @blp.doc(**_BODY_DOC)
    def post(self):
        """May this MQTT username (a JWT) publish or subscribe on this topic?

        (Documents the route; requests are answered by ``HookFastPath`` in front of Flask.)
        """
        return Response(answer(request.get_data(cache=False)), status=200, mimetype="application/json")


class HookFastPath:
    """WSGI middleware answering ``POST <path>`` with ``answer`` before Flask routes the request."""

    def __init__(self, app, path: str):
        self.app = app
        self.path = path
        self.next = app.wsgi_app
        self.requests = figures.HTTP_REQUESTS.labels(path, "POST", "200")
        self.latency = figures.HTTP_LATENCY.labels(path, "POST")

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") != "POST":
            return self.next(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        started = time.perf_counter()
        request_id = request_context.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        token = log_context.start(request_id=request_id, route=self.path)
        try:
            raw = environ["wsgi.input"].read(length) if 0 < length <= MAX_BODY else b""
            with self.app.app_context():
                body = answer(raw)
            environ["pepeunit.log_context"] = dict(log_context.current())
        finally:
            log_context.reset(token)
        self.requests.inc()
        self.latency.observe(time.perf_counter() - started)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                  (request_context.HEADER, request_id)])
        return [body]
