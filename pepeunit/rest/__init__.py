"""The REST door (flask-smorest): blueprints, OpenAPI document and the error mapping."""
from __future__ import annotations

import logging

from flask import jsonify
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from .. import outages
from ..errors import InternalError, PepeunitError
from ..extensions import db, get_settings
from . import (
    bot,
    data_pipe_config,
    data_pipe_data,
    grafana,
    metrics,
    mqtt_auth,
    permissions,
    repo_firmware,
    repos,
    repository_registry,
    rollouts,
    root,
    unit_logs,
    unit_nodes,
    units,
    users,
)

log = logging.getLogger(__name__)

_DETAIL_DOC = {
    "oneOf": [
        {"type": "string", "description": "<status>: <code>: <Template>: <text>"},
        {"type": "array", "description": "request validation problems",
         "items": {"type": "object", "properties": {"loc": {"type": "array", "items": {}}, "msg": {"type": "string"}}}},
    ]
}


class ErrorSchema(Schema):
    """Every error answer: ``{"detail": ...}``."""

    detail = fields.Raw(required=True, metadata=_DETAIL_DOC)


class PepeunitApi(Api):
    ERROR_SCHEMA = ErrorSchema


BLUEPRINTS = (
    users.blp, metrics.blp, permissions.blp, repository_registry.blp, repos.blp, repo_firmware.blp,
    units.blp, unit_nodes.blp, unit_logs.blp, mqtt_auth.blp,
    data_pipe_config.blp,
    data_pipe_data.blp,
    grafana.blp,
    rollouts.repo_blp, rollouts.blp,
)


def _validation_detail(messages) -> list:
    """webargs' nested messages as a FastAPI-like list of ``{loc, msg}``."""
    out = []

    def walk(node, loc):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, loc + [key])
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            out.extend({"loc": loc, "msg": m} for m in node)
        elif isinstance(node, list):
            for value in node:
                walk(value, loc)
        else:
            out.append({"loc": loc, "msg": str(node)})

    walk(messages, [])
    return out


def _http_error(error: HTTPException):
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    detail = _validation_detail(messages) if messages else error.description
    response = jsonify(detail=detail)
    response.status_code = error.code or 500
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _service_error(error: PepeunitError):
    db.session.rollback()
    response = jsonify(detail=error.message)
    response.status_code = error.status
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _unexpected_error(error: Exception):
    if outages.dependency_of(error):  # an outage wrapped in another exception: 503, not a traceback
        return outages.answer(error)
    db.session.rollback()
    log.exception("unhandled error")
    internal = InternalError()
    return jsonify(detail=internal.message), internal.status


def init_rest(app) -> None:
    settings = get_settings(app)
    app.config.update(
        API_TITLE="Pepeunit",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=settings.PU_APP_PREFIX,
        OPENAPI_JSON_PATH=settings.PU_API_V1_PREFIX.lstrip("/") + "/openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
    )
    api = PepeunitApi(app)
    # v1.2 sends naive UTC isoformat ("2026-01-02T03:04:05.123456", no offset): say so, not "date-time".
    api.register_field(fields.DateTime, "string", "naive-utc-isoformat")
    api.spec.components.security_scheme(
        "APIKeyHeader", {"type": "apiKey", "in": "header", "name": "x-auth-token"}
    )
    api.spec.options["security"] = [{"APIKeyHeader": []}]
    prefix = settings.PU_APP_PREFIX + settings.PU_API_V1_PREFIX
    app.wsgi_app = mqtt_auth.HookFastPath(app, prefix + mqtt_auth.blp.url_prefix + "/auth")
    for blp in BLUEPRINTS:
        api.register_blueprint(blp, url_prefix=prefix + blp.url_prefix)
    if settings.PU_FF_TELEGRAM_BOT_ENABLE:  # the webhook exists only with the bot feature on
        api.register_blueprint(bot.blp, url_prefix=prefix + bot.blp.url_prefix)
    app.register_blueprint(root.blp, url_prefix=settings.PU_APP_PREFIX)
    # One error model: service errors, HTTP errors and surprises all answer {"detail": ...}.
    app.register_error_handler(PepeunitError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
