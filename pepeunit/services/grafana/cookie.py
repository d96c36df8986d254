"""The ``PepeunitGrafana`` cookie: who the browser is when Grafana sends it to our ``authorize``.

Set by ``getToken`` (flag on) and ``setGrafanaCookies``, removed by ``deleteUserCookies``. Its
value is a ``Grafana`` JWT ``{uuid: <user>, type: "Grafana", exp}`` (HS256, ``PU_SECRET_KEY``)
that lives as long as a user token. Reading it re-checks the user, so a blocked user cannot
log into Grafana with a cookie issued earlier (v1.2 did not, Q26).
"""
from __future__ import annotations

import uuid as uuid_module
from datetime import datetime, timedelta, timezone

import jwt

from ...errors import NoAccessError
from ...extensions import db, get_settings
from ...models import User, UserStatus
from .. import access
from ..agents import Agent, decode_token
from .feature import enabled, require_enabled

COOKIE_NAME = "PepeunitGrafana"
TOKEN_TYPE = "Grafana"


def cookie_attributes(settings) -> dict:
    """``HttpOnly; Path=/; SameSite=Lax`` (+ ``Secure`` over https), no Max-Age: a session cookie."""
    return {"httponly": True, "path": "/", "samesite": "Lax", "secure": settings.PU_SECURE}


def issue_cookie_token(user_uuid, settings) -> str:
    exp = datetime.now(timezone.utc) + timedelta(seconds=settings.PU_AUTH_TOKEN_EXPIRATION)
    return jwt.encode({"uuid": str(user_uuid), "type": TOKEN_TYPE, "exp": exp}, settings.PU_SECRET_KEY, "HS256")


def cookie_for(agent: Agent) -> str:
    """``setGrafanaCookies``: a cookie value for the calling user."""
    require_enabled()
    access.require_user(agent)
    return issue_cookie_token(agent.uuid, get_settings())


def cookie_after_login(user_token: str) -> str | None:
    """``getToken``: the cookie value that goes with a just-issued user token (``None`` with the flag off)."""
    if not enabled():
        return None
    settings = get_settings()
    return issue_cookie_token(decode_token(user_token, settings)["uuid"], settings)


def user_from_cookie(value: str | None) -> User:
    """The user a cookie names; 403 when it is missing, invalid, expired, or the user is gone or blocked."""
    if not value:
        raise NoAccessError(f"Log in to Pepeunit first: the {COOKIE_NAME} cookie is missing")
    claims = decode_token(value, get_settings())
    if claims.get("type") != TOKEN_TYPE:
        raise NoAccessError("Invalid agent type")
    try:
        user = db.session.get(User, uuid_module.UUID(str(claims.get("uuid"))))
    except ValueError:
        user = None
    if user is None or user.status is UserStatus.BLOCKED:
        raise NoAccessError("Agent is blocked or not found")
    return user
