"""What units report over MQTT, applied to the database in bulk.

The MQTT handlers only parse; these functions write. Each takes a whole batch
and issues one statement per kind, inside the caller's transaction:

- hardware state (``state/pepeunit``): ``unit_state_dict``, ``current_commit_version``,
  ``last_update_datetime``, then the firmware update status machine;
- liveness of units that sent logs (``last_update_datetime``);
- last values of Output nodes (``units_nodes.state``), mirrored in Redis after commit.

The Redis mirror is a cache: a failure to mirror never fails the batch (it is already
committed), readers fall back to PostgreSQL, and the values that could not be mirrored are
dropped from Redis once it answers again, so no reader sees a value older than the database's.
"""
from __future__ import annotations

import json
import logging
import time
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..errors import PepeunitError, UpdateError
from ..extensions import db, get_redis, get_settings
from ..models import Unit, UnitFirmwareUpdateStatus, UnitNode
from ..models.columns import utcnow
from . import bulk_sql, target_version

log = logging.getLogger(__name__)

STATE_KEYS = ("ifconfig", "millis", "mem_free", "mem_alloc", "freq", "statvfs", "pu_commit_version")
NODE_VALUE_KEY = "pepeunit:node:last:"
NODE_VALUE_TTL = 7 * 24 * 3600
MIRROR_RETRY = 5.0  # s between probes of a Redis that is away while batches bring no node value
STALE_LIMIT = 100_000  # nodes remembered as stale during a Redis outage; beyond it every mirrored value is dropped


@dataclass(frozen=True)
class StateReport:
    unit_uuid: uuid_module.UUID
    state_json: str
    commit_version: str | None
    received_at: datetime


def clean_text(text: str) -> str:
    """Text PostgreSQL can store: no NUL, no lone surrogates (JSON escapes can carry both)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _number(value):
    if isinstance(value, bool) or isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # an integer literal beyond a double: the message is bad, not the consumer
            raise ValueError("a number is out of range") from None
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return value
    return None


def parse_state(text: str) -> tuple[str, str | None]:
    """(normalised state JSON, reported commit) of a state payload; ``ValueError`` if not an object
    or if a number does not fit a double.

    Only the reserved keys are kept, always all seven and in this order; numbers become
    floats, lists keep only well-typed items, the commit must be a string. The
    baseline clients' ``commit_version`` is accepted when ``pu_commit_version`` is absent.
    """
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("state must be a JSON object")
    version = data.get("pu_commit_version", data.get("commit_version"))
    ifconfig = data.get("ifconfig")
    statvfs = data.get("statvfs")
    state = {
        "ifconfig": [str(v) for v in ifconfig if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        if isinstance(ifconfig, list) else [],
        "millis": _number(data.get("millis")),
        "mem_free": _number(data.get("mem_free")),
        "mem_alloc": _number(data.get("mem_alloc")),
        "freq": _number(data.get("freq")),
        "statvfs": [n for n in (_number(v) for v in statvfs) if n is not None] if isinstance(statvfs, list) else [],
        "pu_commit_version": version if isinstance(version, str) and len(version) <= 64
        and version == clean_text(version) else None,
    }
    return json.dumps(state), state["pu_commit_version"]


_STATE_UPDATE = (
    "UPDATE units AS u SET unit_state_dict = v.state, current_commit_version = v.version, "
    "last_update_datetime = v.at::timestamp "
    "FROM (VALUES %s) AS v (uuid, state, version, at) WHERE u.uuid = v.uuid::uuid RETURNING u.uuid"
)
_TOUCH = (
    "UPDATE units AS u SET last_update_datetime = v.at::timestamp "
    "FROM (VALUES %s) AS v (uuid, at) WHERE u.uuid = v.uuid::uuid"
)
_NODE_UPDATE = (
    "UPDATE units_nodes AS n SET state = v.state, last_update_datetime = v.at::timestamp "
    "FROM (VALUES %s) AS v (uuid, state, at) WHERE n.uuid = v.uuid::uuid AND n.type = 'Output' "
    "RETURNING n.uuid"
)




def apply_states(reports: list[StateReport]) -> int:
    """Store the last state of each unit and advance pending firmware updates; returns units updated."""
    latest: dict = {}
    for report in reports:
        latest[report.unit_uuid] = report
    if not latest:
        return 0
    rows = [(str(r.unit_uuid), r.state_json, r.commit_version, r.received_at) for r in latest.values()]
    updated = [row[0] for row in bulk_sql.execute(_STATE_UPDATE, rows, fetch=True)]
    if updated:
        _advance_firmware_updates([uuid_module.UUID(str(u)) for u in updated], latest)
    return len(updated)


def _advance_firmware_updates(unit_uuids: list, latest: dict) -> None:
    pending = db.session.execute(
        sa.select(Unit).where(
            Unit.uuid.in_(unit_uuids), Unit.firmware_update_status == UnitFirmwareUpdateStatus.REQUEST_SENT
        )
    ).scalars()
    interval = get_settings().PU_STATE_SEND_INTERVAL
    for unit in pending:
        report = latest[unit.uuid]
        try:
            target = target_version.unit_source(unit).version.commit
        except PepeunitError as exc:
            log.info("unit %s: target version unknown (%s); update status unchanged", unit.uuid, exc)
            continue
        if target == report.commit_version:
            unit.firmware_update_status = UnitFirmwareUpdateStatus.SUCCESS
            unit.firmware_update_error = None
            unit.last_firmware_update_datetime = None
        elif (unit.last_firmware_update_datetime is None
              or report.received_at - unit.last_firmware_update_datetime > timedelta(seconds=2 * interval)):
            _fail_update(unit, interval)
    db.session.flush()


def _fail_update(unit: Unit, interval: int) -> None:
    unit.firmware_update_status = UnitFirmwareUpdateStatus.ERROR
    unit.firmware_update_error = UpdateError(f"Device firmware update time is twice as fast as {interval}s times").message
    unit.last_firmware_update_datetime = None


def expire_stalled_updates(now=None) -> int:
    """Updates whose unit never confirmed within twice the state interval become Error (the minutely job)."""
    interval = get_settings().PU_STATE_SEND_INTERVAL
    deadline = (now or utcnow()) - timedelta(seconds=2 * interval)
    stalled = db.session.execute(sa.select(Unit).where(
        Unit.firmware_update_status == UnitFirmwareUpdateStatus.REQUEST_SENT,
        Unit.last_firmware_update_datetime < deadline)).scalars().all()
    for unit in stalled:
        _fail_update(unit, interval)
    db.session.commit()
    return len(stalled)


def touch_units(seen: dict) -> int:
    """``last_update_datetime`` of units that sent logs: ``{unit uuid: time}``."""
    if not seen:
        return 0
    return bulk_sql.execute(_TOUCH, [(str(u), at) for u, at in seen.items()])


def store_node_values(values: dict) -> list[tuple[str, str]]:
    """Write ``{node uuid: (value, time)}`` to existing Output nodes; returns (node, value) written."""
    if not values:
        return []
    rows = [(str(node), value, at) for node, (value, at) in values.items()]
    written = {str(row[0]) for row in bulk_sql.execute(_NODE_UPDATE, rows, fetch=True)}
    return [(node, value) for node, value, _ in rows if node in written]


class _MirrorHealth:
    """The mirror's outage in this process: logged once when it starts and once when it ends."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.down_since: float | None = None
        self.tried_at = 0.0
        self.failures = 0
        self.stale: set[str] = set()
        self.stale_all = False

    def failed(self, nodes: list[str], exc: Exception) -> None:
        self.tried_at = time.monotonic()
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("Redis unavailable (%s): node last values are not mirrored; readers use PostgreSQL "
                        "until it is back", exc)
        self.failures += 1
        if not self.stale_all:
            self.stale.update(nodes)
            if len(self.stale) > STALE_LIMIT:
                self.stale, self.stale_all = set(), True

    def repair(self, redis_client, fresh: set[str]) -> None:
        """Redis answers again: drop what was not mirrored during the outage (readers fall back to PostgreSQL)."""
        if self.stale_all:
            keys = list(redis_client.scan_iter(match=NODE_VALUE_KEY + "*", count=1000))
        else:
            keys = [NODE_VALUE_KEY + node for node in self.stale - fresh]
        for start in range(0, len(keys), 1000):
            redis_client.delete(*keys[start:start + 1000])
        log.info("Redis back after %.0fs: %d node-value mirrors had failed, %d stale values dropped",
                    time.monotonic() - self.down_since, self.failures, len(keys))
        self.reset()


_MIRROR = _MirrorHealth()


def mirror_node_values(written: list[tuple[str, str]]) -> bool:
    """After commit: the last value of each node, for readers that should not hit PostgreSQL.

    Never raises: the values are committed already, and a batch must not be written twice
    because its cache could not be updated. Returns whether Redis took them.
    """
    if not written and (_MIRROR.down_since is None or time.monotonic() - _MIRROR.tried_at < MIRROR_RETRY):
        return _MIRROR.down_since is None
    try:
        redis_client = get_redis()
        if written:
            pipe = redis_client.pipeline(transaction=False)
            for node, value in written:
                pipe.set(NODE_VALUE_KEY + node, value, ex=NODE_VALUE_TTL)
            pipe.execute()
        else:
            redis_client.ping()
        if _MIRROR.down_since is not None:
            _MIRROR.repair(redis_client, {node for node, _ in written})
        return True
    except Exception as exc:  # any failure of the cache, not only RedisError: the batch is committed
        _MIRROR.failed([node for node, _ in written], exc)
        return False


def last_node_value(node_uuid) -> str | None:
    """The node's last value: Redis, else (missing or Redis away) ``units_nodes.state``."""
    try:
        value = get_redis().get(NODE_VALUE_KEY + str(node_uuid))
    except Exception as exc:  # the mirror is a cache: read the database instead
        log.debug("node value %s read from PostgreSQL: Redis unavailable (%s)", node_uuid, exc)
        value = None
    if value is not None:
        return value.decode() if isinstance(value, bytes) else value
    node_uuid = node_uuid if isinstance(node_uuid, uuid_module.UUID) else uuid_module.UUID(str(node_uuid))
    return db.session.execute(sa.select(UnitNode.state).where(UnitNode.uuid == node_uuid)).scalar()
