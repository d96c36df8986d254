"""Which node configs the pipeline runs: a per-process cache, invalidated on every worker and host.

Every change of a node's pipe (config set, activation, deactivation, node deletion) calls
``invalidate()``, which bumps a per-instance generation counter in Redis. The consumer compares
that counter with the one its cache was built at, once per batch, and reloads on a change: no
database read per message.
"""
from __future__ import annotations

import logging
import math
import threading
import time
import uuid as uuid_module
from dataclasses import dataclass, field

import redis
import sqlalchemy as sa

from ...extensions import db, get_redis, get_settings
from ...models import UnitNode
from ...models.enums import DataPipeStatus
from . import pipeline
from .pipe_config import PipeConfig, StoredConfigError

log = logging.getLogger(__name__)


def generation_key() -> str:
    return f"pepeunit:datapipe:generation:{get_settings().PU_DOMAIN}"


def invalidate() -> None:
    """Tell every process that some node's pipe changed."""
    get_redis().incr(generation_key())


def current_generation() -> int:
    return int(get_redis().get(generation_key()) or 0)


# -- the consumer's cache of active node configs ----------------------------------------------------

RELOAD_EVERY = 60.0  # s: a reload even without a generation change (Redis away, a missed invalidation)


@dataclass
class _Cache:
    key: str | None = None  # generation_key() the configs were loaded for (one per domain)
    generation: int | None = None
    loaded_at: float = -math.inf
    configs: dict = field(default_factory=dict)  # node uuid -> PipeConfig


_cache = _Cache()
_lock = threading.Lock()


def configs_for(node_uuids) -> dict[uuid_module.UUID, PipeConfig]:
    """The runnable configs of those of ``node_uuids`` whose pipe is active.

    Reads the Redis generation once per call (the consumer calls once per batch) and reloads every
    active config from PostgreSQL only when it changed. Call it outside the batch's transaction:
    marking an unrunnable config commits on its own.
    """
    with _lock:
        _refresh()
        configs = _cache.configs
    return {node: configs[node] for node in node_uuids if node in configs}


def _refresh() -> None:
    key = generation_key()
    try:
        generation = current_generation()
    except redis.RedisError as exc:  # keep running on the configs we have; reload on the timer
        log.warning("DataPipe generation unavailable (%s); using cached configs", exc)
        generation = _cache.generation
    stale = time.monotonic() - _cache.loaded_at >= RELOAD_EVERY
    if key == _cache.key and generation == _cache.generation and not stale:
        return
    _cache.configs = _load()
    _cache.key, _cache.generation, _cache.loaded_at = key, generation, time.monotonic()


def _load() -> dict:
    rows = db.session.execute(
        sa.select(UnitNode.uuid, UnitNode.data_pipe_yml, UnitNode.data_pipe_status, UnitNode.data_pipe_error)
        .where(UnitNode.is_data_pipe_active.is_(True))
    ).all()
    db.session.commit()  # end the read transaction: the consumer's batch starts its own
    configs, broken = {}, []
    for node, text, status, error in rows:
        if not text:
            continue  # activated but not configured yet: nothing to run (v1.2 ignores it too)
        try:
            config = PipeConfig.from_stored(text)
            reason = pipeline.cannot_run(config)
            if reason:
                raise StoredConfigError(f"Stored data pipe config cannot run: {reason}")
            configs[node] = config
        except StoredConfigError as exc:
            if status != DataPipeStatus.ERROR.value or error != str(exc):
                broken.append((node, str(exc)))
    if broken:
        _mark_broken(broken)
    return configs


def _mark_broken(broken: list[tuple[uuid_module.UUID, str]]) -> None:
    """Each node's status says why its stored config cannot run (once: only when it changes)."""
    for node, reason in broken:
        log.warning("DataPipe config of node %s cannot run: %s", node, reason)
        db.session.execute(sa.update(UnitNode).where(UnitNode.uuid == node)
                           .values(data_pipe_status=DataPipeStatus.ERROR.value, data_pipe_error=reason))
    db.session.commit()


def forget() -> None:
    """Drop the cached configs (tests switch databases within one process)."""
    global _cache
    with _lock:
        _cache = _Cache()
