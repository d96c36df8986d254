"""Instance metrics: how many of each entity exist."""
from __future__ import annotations

import time
from threading import Lock

import sqlalchemy as sa

from ..extensions import db, get_settings
from ..models import AgentType, Repo, RepositoryRegistry, Unit, UnitNode, UnitNodeEdge, User
from . import access
from .agents import Agent

_COUNTED = {
    "user_count": User,
    "repository_registry_count": RepositoryRegistry,
    "repo_count": Repo,
    "unit_count": Unit,
    "unit_node_count": UnitNode,
    "unit_node_edge_count": UnitNodeEdge,
}
_cache: dict = {"at": 0.0, "value": None}
_cache_lock = Lock()


def _count_all() -> dict:
    row = db.session.execute(
        sa.select(*(sa.select(sa.func.count()).select_from(m).scalar_subquery().label(k) for k, m in _COUNTED.items()))
    ).one()
    return dict(row._mapping)


def base_metrics(agent: Agent) -> dict:
    """Counts of every entity; kept per process for ``PU_METRICS_CACHE_SECONDS``.

    The access check runs before the cache is read (v1.2 read the cache first).
    """
    access.require(agent, AgentType.BOT, AgentType.USER, AgentType.UNIT, AgentType.BACKEND)
    ttl = get_settings().PU_METRICS_CACHE_SECONDS
    now = time.monotonic()
    if ttl and _cache["value"] is not None and now - _cache["at"] < ttl:
        return dict(_cache["value"])
    value = _count_all()
    with _cache_lock:
        _cache.update(at=now, value=value)
    return dict(value)
