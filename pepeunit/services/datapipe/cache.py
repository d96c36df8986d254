"""Which node configs the pipeline runs: a per-process cache, invalidated on every worker and host.

Every change of a node's pipe (config set, activation, deactivation, node deletion) calls
``invalidate()``, which bumps a per-instance generation counter in Redis. The consumer compares
that counter with the one its cache was built at, once per batch, and reloads on a change: no
database read per message.
"""
from __future__ import annotations

from ...extensions import get_redis, get_settings


def generation_key() -> str:
    return f"pepeunit:datapipe:generation:{get_settings().PU_DOMAIN}"


def invalidate() -> None:
    """Tell every process that some node's pipe changed."""
    get_redis().incr(generation_key())


def current_generation() -> int:
    return int(get_redis().get(generation_key()) or 0)
