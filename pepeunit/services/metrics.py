"""Instance metrics: how many of each entity the caller may see.

A count is the size of the list the caller could fetch (with every visibility
level requested): anonymous callers count Public repos, units and nodes, public
registry entries and edges between nodes they see; users and units add Internal
and the Private entities they hold a permission for; the Backend counts all.
v1.2 counted every row for everyone, which told any stranger how many Private
units a tenant runs and when that changes. ``user_count`` stays instance-wide:
users carry no visibility level and the number names nobody.
"""
from __future__ import annotations

import time
from threading import Lock

import sqlalchemy as sa

from ..extensions import db, get_settings
from ..models import PermissionEntities, Repo, RepositoryRegistry, Unit, UnitNode, UnitNodeEdge, User, VisibilityLevel
from . import access
from .agents import Agent

_MAX_CACHED_SCOPES = 4096
_cache: dict = {}
_cache_lock = Lock()


def _count(model, condition) -> sa.ScalarSelect:
    return sa.select(sa.func.count()).select_from(model).where(condition).scalar_subquery()


def _count_visible(agent: Agent) -> dict:
    levels = list(VisibilityLevel)
    counts = {
        "user_count": _count(User, sa.true()),
        "repository_registry_count": _count(RepositoryRegistry, access.visible_registries(agent, RepositoryRegistry)),
        "repo_count": _count(Repo, access.visibility_clause(agent, Repo, PermissionEntities.REPO, levels)),
        "unit_count": _count(Unit, access.visibility_clause(agent, Unit, PermissionEntities.UNIT, levels)),
        "unit_node_count": _count(UnitNode, access.visibility_clause(agent, UnitNode, PermissionEntities.UNIT_NODE,
                                                                     levels)),
        "unit_node_edge_count": _count(UnitNodeEdge, access.visible_edges(agent, UnitNodeEdge, UnitNode)),
    }
    row = db.session.execute(sa.select(*(query.label(key) for key, query in counts.items()))).one()
    return dict(row._mapping)


def base_metrics(agent: Agent) -> dict:
    """Counts of what ``agent`` may see; kept per process and per scope for ``PU_METRICS_CACHE_SECONDS``.

    The access check runs before the cache is read (v1.2 read the cache first).
    """
    access.require(agent, *access.ANY_AGENT)
    ttl = get_settings().PU_METRICS_CACHE_SECONDS
    key = access.scope_key(agent)
    now = time.monotonic()
    hit = _cache.get(key)
    if ttl and hit is not None and now - hit[0] < ttl:
        return dict(hit[1])
    value = _count_visible(agent)
    if ttl:
        with _cache_lock:
            if len(_cache) >= _MAX_CACHED_SCOPES:
                _cache.clear()
            _cache[key] = (now, value)
    return dict(value)
