"""Unit log lines: stored in bulk from MQTT, listed by the unit's creator or the unit itself.

Rows live in PostgreSQL until ``expiration_datetime`` (receipt + ``PU_UNIT_LOG_EXPIRATION``);
a leader-run job deletes expired rows, and lists never show them even before that.
"""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db, get_settings
from ..models import AgentType, LogLevel, OrderByDate, Unit, UnitLog
from ..models.columns import utcnow
from . import bulk_sql
from .access import require, require_creator
from .agents import Agent
from .listing import Page, fetch_page, in_enum, order
from .lookup import get_or_not_found


@dataclass(frozen=True)
class LogEntry:
    unit_uuid: uuid_module.UUID
    level: LogLevel
    text: str
    create_datetime: datetime


@dataclass(frozen=True)
class UnitLogFilter:
    uuid: uuid_module.UUID
    page: Page = Page()
    level: list = field(default_factory=lambda: list(LogLevel))
    order_by_create_date: OrderByDate = OrderByDate.desc


# Row uuids come from PostgreSQL (gen_random_uuid): one uuid4() per line was ~9 % of the consumer's CPU.
_INSERT = (
    "INSERT INTO unit_logs (uuid, level, unit_uuid, text, create_datetime, expiration_datetime) "
    "SELECT gen_random_uuid(), v.level, v.unit_uuid::uuid, v.text, v.created::timestamp, v.expires::timestamp "
    "FROM (VALUES %s) AS v (level, unit_uuid, text, created, expires) "
    "JOIN units u ON u.uuid = v.unit_uuid::uuid"
)


def store(entries: list[LogEntry], now: datetime | None = None) -> int:
    """Insert every entry of a known unit in one statement (unknown units are dropped).

    Runs in the caller's transaction; returns how many rows were written.
    """
    if not entries:
        return 0
    now = now or utcnow()
    expires = now + timedelta(seconds=get_settings().PU_UNIT_LOG_EXPIRATION)
    rows = [
        (e.level.value, str(e.unit_uuid), e.text, e.create_datetime, expires)
        for e in entries
    ]
    return bulk_sql.execute(_INSERT, rows)  # one statement, one rowcount


def _unit_for_reader(agent: Agent, unit_uuid) -> Unit:
    """The unit, if ``agent`` is its creator or the unit itself."""
    require(agent, AgentType.USER, AgentType.UNIT)
    unit = get_or_not_found(Unit, unit_uuid)
    if agent.type is AgentType.UNIT and agent.uuid == unit.uuid:
        return unit
    require_creator(agent, unit)
    return unit


def list_(agent: Agent, filters: UnitLogFilter) -> tuple[int, list[UnitLog]]:
    """A unit's live log lines, filtered by level, ordered by ``create_datetime``; count before paging."""
    _unit_for_reader(agent, filters.uuid)
    query = sa.select(UnitLog).where(
        UnitLog.unit_uuid == filters.uuid,
        in_enum(UnitLog.level, filters.level),
        UnitLog.expiration_datetime > utcnow(),
    )
    query = order(query, (UnitLog.create_datetime, filters.order_by_create_date or OrderByDate.desc))
    return fetch_page(query, filters.page, UnitLog.uuid)


def delete_for_unit(unit_uuid) -> int:
    """Every log line of a unit (LogSync, unit deletion); in the caller's transaction."""
    return db.session.execute(sa.delete(UnitLog).where(UnitLog.unit_uuid == unit_uuid)).rowcount


def delete_expired(now: datetime | None = None, chunk: int = 10000) -> int:
    """Remove expired rows in chunks, committing each, so a backlog never holds one long lock."""
    now = now or utcnow()
    total = 0
    while True:
        doomed = sa.select(UnitLog.uuid).where(UnitLog.expiration_datetime <= now).limit(chunk)
        removed = db.session.execute(sa.delete(UnitLog).where(UnitLog.uuid.in_(doomed))).rowcount
        db.session.commit()
        total += removed
        if removed < chunk:
            return total
