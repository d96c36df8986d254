"""A counter that changes whenever who-may-see-what changes.

Cached MQTT authorization decisions carry the generation they were made in;
bumping it (after an edge, permission, unit or node visibility change commits)
makes every older decision stale at once, on every worker and host.
"""
from __future__ import annotations

from ..extensions import get_redis

KEY = "pepeunit:acl:generation"


def current() -> int:
    value = get_redis().get(KEY)
    return int(value) if value else 0


def bump() -> None:
    get_redis().incr(KEY)
