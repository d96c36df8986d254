"""Users: sign-up, login, profile, listing, blocking and Telegram verification codes."""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..errors import FeatureFlagError, NoAccessError, UserError, not_found
from ..extensions import db, get_redis, get_settings
from ..models import AgentType, OrderByDate, User, UserRole, UserStatus
from . import access, crypto
from .agents import Agent, issue_user_token
from .grafana import feature as grafana_feature
from .grafana import orgs as grafana_orgs
from .listing import Page, fetch_page, in_enum, order, search
from .lookup import get_or_not_found
from .rules import check_unique_name, commit_unique_name, is_valid_password

VERIFICATION_CODE_TTL = 60  # seconds a Telegram deep-link code stays usable
VERIFICATION_KEY = "pepeunit:verification:{}"
_FIRST_USER_LOCK = 0x7065_7065_7573  # advisory lock id serialising "is this the first user?"


@dataclass
class UserFilter:
    page: Page = field(default_factory=Page)
    uuids: list | None = None
    search_string: str | None = None
    role: list | None = field(default_factory=lambda: list(UserRole))
    status: list | None = field(default_factory=lambda: list(UserStatus))
    order_by_create_date: OrderByDate | None = OrderByDate.desc


def _check_login(login: str, exclude_uuid=None) -> None:
    check_unique_name(User.login, login, UserError, "Login", exclude_uuid)


def _check_password(password: str) -> None:
    if not is_valid_password(password):
        raise UserError("Password is not correct")


def _commit_unique_login() -> None:
    commit_unique_name(UserError, "Login")


def create(agent: Agent, login: str, password: str) -> User:
    access.require(agent, AgentType.ANONYMOUS)
    _check_login(login)
    _check_password(password)
    db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_FIRST_USER_LOCK)))
    is_first = db.session.execute(sa.select(User.uuid).limit(1)).first() is None
    user = User(
        login=login,
        hashed_password=crypto.hash_password(password),
        role=UserRole.ADMIN if is_first else UserRole.USER,
        status=UserStatus.UNVERIFIED,
    )
    db.session.add(user)
    _commit_unique_login()
    if grafana_feature.enabled():
        grafana_orgs.ensure_org_quietly(user)
    return user


def issue_token(agent: Agent, credentials: str, password: str) -> str:
    """Log in by login or by linked Telegram chat id."""
    access.require(agent, AgentType.ANONYMOUS)
    # A login wins over a chat id: a digits-only login may equal someone else's chat id (v1.2 then
    # matched two rows and failed); the chat id is only tried when no login matches.
    user = db.session.execute(sa.select(User).where(User.login == credentials)).scalar_one_or_none()
    if user is None and credentials:
        user = db.session.execute(sa.select(User).where(User.telegram_chat_id == credentials)).scalar_one_or_none()
    if user is None:
        raise not_found()
    if not crypto.verify_password(user.hashed_password, password):
        raise NoAccessError("Password hash mismatched")
    if user.status is UserStatus.BLOCKED:
        raise NoAccessError("Agent is blocked or not found")
    return issue_user_token(user, get_settings())


def get(agent: Agent, uuid) -> User:
    access.require_user(agent)
    return get_or_not_found(User, uuid)


def update(agent: Agent, login: str | None = None, password: str | None = None) -> User:
    """Change the caller's own login and/or password; empty values mean "unchanged"."""
    access.require_user(agent)
    user = get_or_not_found(User, agent.uuid)
    if login:
        _check_login(login, exclude_uuid=user.uuid)
    if password:
        _check_password(password)
    if login:
        user.login = login
    if password:
        user.hashed_password = crypto.hash_password(password)
    _commit_unique_login()
    return user


def list_(agent: Agent, filters: UserFilter) -> tuple[int, list[User]]:
    access.require_user(agent)
    query = sa.select(User).where(in_enum(User.role, filters.role), in_enum(User.status, filters.status))
    if filters.uuids:
        query = query.where(User.uuid.in_(filters.uuids))
    query = search(query, filters.search_string, [User.login])
    query = order(query, (User.create_datetime, filters.order_by_create_date))
    return fetch_page(query, filters.page, User.uuid)


def block(agent: Agent, uuid) -> None:
    access.require_admin(agent)
    user = get_or_not_found(User, uuid)
    if user.uuid == agent.uuid:  # an admin blocking itself could leave the instance without one
        raise UserError("An admin cannot block itself")
    user.status = UserStatus.BLOCKED
    db.session.commit()


def unblock(agent: Agent, uuid) -> None:
    access.require_admin(agent)
    user = get_or_not_found(User, uuid)
    user.status = UserStatus.VERIFIED if user.telegram_chat_id else UserStatus.UNVERIFIED
    db.session.commit()


def create_verification_link(agent: Agent) -> str:
    settings = get_settings()
    if not settings.PU_FF_TELEGRAM_BOT_ENABLE:
        raise FeatureFlagError()
    access.require_user(agent)
    code = crypto.random_code()
    get_redis().set(VERIFICATION_KEY.format(code), str(agent.uuid), ex=VERIFICATION_CODE_TTL)
    return f"{settings.PU_TELEGRAM_BOT_LINK}?start={code}"


def verify_telegram(chat_id: str, code: str) -> User:
    """Link a Telegram chat to the user who generated ``code``; the code works once."""
    raw = get_redis().getdel(VERIFICATION_KEY.format(code))
    if raw is None:
        raise not_found()
    user = get_or_not_found(User, uuid_module.UUID(raw.decode() if isinstance(raw, bytes) else raw))
    if user.status is UserStatus.BLOCKED:
        raise NoAccessError("User is Blocked")
    other = db.session.execute(
        sa.select(User.uuid).where(User.telegram_chat_id == str(chat_id), User.uuid != user.uuid)
    ).first()
    if other is not None:
        raise UserError("This Telegram User is already verified")
    user.telegram_chat_id = str(chat_id)
    user.status = UserStatus.VERIFIED
    db.session.commit()
    return user
