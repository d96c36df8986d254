"""Which units go in which stage: deterministic, recently-online units first.

The order is (online recently first, then sha256 of repo uuid, target commit and unit uuid), so
planning the same rollout again over the same units picks the same canaries, and a different
target version spreads the risk over other units.
"""
from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta


def unit_order_key(repo_uuid, target_commit: str, unit_uuid, online: bool) -> tuple[int, str]:
    digest = hashlib.sha256(f"{repo_uuid}:{target_commit}:{unit_uuid}".encode()).hexdigest()
    return (0 if online else 1, digest)


def is_online(last_seen: datetime | None, now: datetime, window: timedelta) -> bool:
    return last_seen is not None and now - last_seen <= window


def stage_sizes(stages: list[int], unit_count: int) -> list[int]:
    """Cumulative unit counts per stage; every stage adds at least one unit, stages left empty are dropped."""
    sizes: list[int] = []
    for percent in stages:
        previous = sizes[-1] if sizes else 0
        if previous >= unit_count:
            break
        sizes.append(min(unit_count, max(math.ceil(percent * unit_count / 100), previous + 1)))
    return sizes


def plan(repo_uuid, target_commit: str, units: list[tuple], stages: list[int], now: datetime,
         window: timedelta) -> list[tuple[int, list]]:
    """``units``: (uuid, last seen). Returns [(percent, [unit uuids of that stage])]."""
    ordered = sorted(units, key=lambda u: unit_order_key(repo_uuid, target_commit, u[0],
                                                         is_online(u[1], now, window)))
    out, start = [], 0
    for percent, end in zip(stages, stage_sizes(stages, len(ordered)), strict=False):
        out.append((percent, [u[0] for u in ordered[start:end]]))
        start = end
    return out
