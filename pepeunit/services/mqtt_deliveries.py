"""Keys of committed MQTT messages: a DUP redelivery of a stored message is acknowledged, not stored.

``key`` names one delivery: the packet id with the topic and payload (a broker redelivers with the
same packet id, flagged DUP). ``record`` runs inside a batch's transaction (``report_batches.store``),
so a key exists exactly when its message's data was committed. ``already_stored`` is asked only for
DUP messages; ``prune`` drops keys older than ``KEEP`` (the consumer calls it while connected, so the
keys of the messages in flight when a broker went down survive the outage).
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models.columns import utcnow

KEEP = timedelta(hours=1)

_RECORD = sa.text("INSERT INTO mqtt_deliveries (key, committed_at) VALUES (:key, :at) "
                  "ON CONFLICT (key) DO UPDATE SET committed_at = EXCLUDED.committed_at")


def key(mid: int, topic: bytes, payload: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(mid.to_bytes(4, "big"))
    digest.update(topic)
    digest.update(b"\0")
    digest.update(payload)
    return digest.digest()


def record(keys: list[bytes]) -> None:
    """In the caller's transaction."""
    if keys:
        at = utcnow()
        db.session.execute(_RECORD, [{"key": k, "at": at} for k in sorted(set(keys))])


def already_stored(keys: list[bytes]) -> set[bytes]:
    if not keys:
        return set()
    rows = db.session.execute(sa.text("SELECT key FROM mqtt_deliveries WHERE key = ANY(:keys)"),
                              {"keys": list(keys)}).scalars()
    found = {bytes(k) for k in rows}
    db.session.commit()
    return found


def prune() -> int:
    deleted = db.session.execute(sa.text("DELETE FROM mqtt_deliveries WHERE committed_at < :before"),
                                 {"before": utcnow() - KEEP}).rowcount
    db.session.commit()
    return deleted
