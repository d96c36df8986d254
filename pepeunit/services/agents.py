"""Who is calling: tokens in, ``Agent`` out.

Every request carries ``x-auth-token`` (a raw JWT) or nothing. Nothing means
the anonymous agent (``AgentType.ANONYMOUS``, "Bot" in v1.2's API). A present token must be
valid: a bad one fails even operations anonymous callers may use, as in Pepeunit v1.2.
"""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

from ..errors import NoAccessError
from ..extensions import db
from ..models import AgentType, Unit, User, UserRole, UserStatus
from ..observability import log_context


@dataclass(frozen=True)
class Agent:
    type: AgentType
    uuid: uuid_module.UUID | None = None
    role: UserRole | None = None
    name: str = ""

    @property
    def class_name(self) -> str:
        return f"Agent{self.type.value}"

    @property
    def is_anonymous(self) -> bool:
        return self.type is AgentType.ANONYMOUS

    @property
    def is_user(self) -> bool:
        return self.type is AgentType.USER

    @property
    def is_admin(self) -> bool:
        return self.is_user and self.role is UserRole.ADMIN


ANONYMOUS = Agent(AgentType.ANONYMOUS)


def issue_user_token(user: User, settings) -> str:
    exp = datetime.now(timezone.utc) + timedelta(seconds=settings.PU_AUTH_TOKEN_EXPIRATION)
    return jwt.encode(
        {"uuid": str(user.uuid), "type": AgentType.USER.value, "exp": exp},
        settings.PU_SECRET_KEY,
        algorithm="HS256",
    )


def issue_unit_token(unit_uuid, settings) -> str:
    """Deterministic and without expiry: units keep it in env.json."""
    return jwt.encode({"uuid": str(unit_uuid), "type": AgentType.UNIT.value}, settings.PU_SECRET_KEY, "HS256")


def decode_token(token: str, settings) -> dict:
    try:
        return jwt.decode(token, settings.PU_SECRET_KEY, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise NoAccessError("Token expired") from None
    except jwt.PyJWTError:
        raise NoAccessError("Token is invalid") from None


def _uuid_claim(claims: dict) -> uuid_module.UUID:
    try:
        return uuid_module.UUID(str(claims.get("uuid")))
    except ValueError:
        raise NoAccessError("Token is invalid") from None


def agent_from_token(token: str | None, settings) -> Agent:
    if not token:
        return ANONYMOUS
    claims = decode_token(token, settings)
    kind = claims.get("type")
    if kind == AgentType.USER.value:
        user = db.session.get(User, _uuid_claim(claims))
        if user is None:
            raise NoAccessError("User not found")
        if user.status is UserStatus.BLOCKED:
            raise NoAccessError("Agent is blocked or not found")
        log_context.bind(user_uuid=user.uuid)
        return Agent(AgentType.USER, user.uuid, user.role, user.login)
    if kind == AgentType.UNIT.value:
        unit = db.session.get(Unit, _uuid_claim(claims))
        if unit is None:
            raise NoAccessError("Unit not found")
        log_context.bind(unit_uuid=unit.uuid)
        return Agent(AgentType.UNIT, unit.uuid, None, unit.name)
    if kind == AgentType.BACKEND.value:
        if claims.get("domain") != settings.PU_DOMAIN:
            raise NoAccessError("Token is invalid")
        return Agent(AgentType.BACKEND, None, None, settings.PU_DOMAIN)
    raise NoAccessError("Invalid agent type")
