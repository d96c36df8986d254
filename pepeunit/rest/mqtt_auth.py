"""REST door for the broker's authorization hook: ``POST /pepeunit/api/v1/units/auth``.

EMQX (and the dev broker) post ``{"token", "topic", "action", "clientid"}``; the
answer is always HTTP 200 with ``{"result": "allow"}`` or ``{"result": "deny"}``.
A malformed body is a deny, not a 422: EMQX would read a 422 as "ignore".
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..services import mqtt_auth as service

blp = Blueprint("mqtt_auth", __name__, url_prefix="/units", description="MQTT broker authorization hook")

_ALLOW, _DENY = b'{"result": "allow"}', b'{"result": "deny"}'
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


@blp.route("/auth")
class MqttAuth(MethodView):
    @blp.doc(**_BODY_DOC)
    def post(self):
        """May this MQTT username (a JWT) publish or subscribe on this topic?"""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or _text(body, "token") is None or _text(body, "topic") is None:
            return Response(_DENY, status=200, mimetype="application/json")
        allowed = service.is_allowed(_text(body, "token"), _text(body, "topic"),
                                     _text(body, "action"), _text(body, "clientid"))
        return Response(_ALLOW if allowed else _DENY, status=200, mimetype="application/json")
