"""Cross-origin frontends: ``PU_CORS_ORIGINS`` lists the browser origins allowed on REST and GraphQL.

Empty (the default) adds no CORS header at all: the frontend is served from the same origin
behind the proxy, as in v1.2's deployment. Listed origins may send credentials (cookies,
``x-auth-token``); a preflight from one of them is answered with the allowed methods and headers,
any other origin gets no ``Access-Control-Allow-*`` header, so the browser blocks it. flask-cors
does the protocol.
"""
from __future__ import annotations

import re

from flask import Flask
from flask_cors import CORS

from .extensions import get_settings
from .observability.request_context import HEADER as REQUEST_ID_HEADER

ALLOWED_HEADERS = ["Content-Type", "x-auth-token", "Authorization", REQUEST_ID_HEADER]
EXPOSED_HEADERS = [REQUEST_ID_HEADER, "Retry-After", "Content-Disposition"]
PREFLIGHT_MAX_AGE = 600  # s a browser may reuse a preflight answer


def init_app(app: Flask) -> None:
    settings = get_settings(app)
    if not settings.PU_CORS_ORIGINS:
        return
    prefix = re.escape(settings.PU_APP_PREFIX)
    options = {
        "origins": list(settings.PU_CORS_ORIGINS),
        "supports_credentials": True,
        "allow_headers": ALLOWED_HEADERS,
        "expose_headers": EXPOSED_HEADERS,
        "methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        "max_age": PREFLIGHT_MAX_AGE,
        "vary_header": True,
    }
    rest = prefix + re.escape(settings.PU_API_V1_PREFIX) + r"/.*"
    graphql = prefix + r"/graphql"
    CORS(app, resources={rest: options, graphql: options})
