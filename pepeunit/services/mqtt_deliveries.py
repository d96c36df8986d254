"""Exactly-once storage of messages a broker delivers twice, for shared-mode consumers.

A shared-mode consumer acknowledges a message after its batch commits. If the worker dies (or
its connection drops) between the commit and the acknowledgement, the broker sends the message
again, flagged ``dup``, with the **same packet id, to the same session**: Mosquitto 2 and EMQX 5
keep a disconnected persistent session's unacknowledged messages in that session (they do not
hand them to another group member), and the session is resumed by the worker itself on reconnect
or by the leader adopting a dead worker's session (``mqtt.shared_group``).

So the key of a delivery is (client id, packet id) plus a digest of topic and payload: each batch
records its messages' keys in its own transaction (``record``: one row per batch, arrays of packet
ids and digests, so recording costs one small insert), and a ``dup`` message whose newest recorded
key has the same digest was stored already (``stored_already``). The digest guards the
case where our acknowledgement reached the broker, it reused the packet id for a new message, and
that one was redelivered: it is stored unless it has the very same topic and payload as the
message that used the packet id before (65535 messages earlier in that session). That is the one
duplicate-free-but-lossy corner left; docs/ingestion.md says so.
"""
from __future__ import annotations

import hashlib
from collections import deque

import sqlalchemy as sa

from ..extensions import db
from ..models import MqttDelivery

KEEP = 65535 + 5000  # packet ids a consumer keeps: every id of a session, and a batch more
_recent: dict[str, deque] = {}  # client id -> (row id, packet ids) of its rows, oldest first (this process)


def digest(topic: bytes, payload: bytes) -> int:
    """A signed 64-bit digest of one message (fits a BIGINT)."""
    value = hashlib.blake2b(topic + b"\x00" + payload, digest_size=8).digest()
    return int.from_bytes(value, "big", signed=True)


def stored_already(client_id: str, candidates: list[tuple[int, int]]) -> set[int]:
    """Of ``(packet id, digest)`` redelivered to ``client_id``, the packet ids already committed.

    The newest committed message of each packet id decides: same digest, same message."""
    if not candidates:
        return set()
    rows = db.session.execute(sa.select(MqttDelivery.packet_ids, MqttDelivery.digests)
                              .where(MqttDelivery.client_id == client_id).order_by(MqttDelivery.id)).all()
    db.session.rollback()  # a read only: end the transaction, the batch opens its own
    newest: dict[int, int] = {}
    for packet_ids, digests in rows:
        newest.update(zip(packet_ids, digests, strict=True))
    return {packet_id for packet_id, value in candidates if newest.get(packet_id) == value}


def record(client_id: str, deliveries: list[tuple[int, int]]) -> None:
    """In the caller's transaction: these ``(packet id, digest)`` are committed with the batch.

    One row per batch; rows older than the newest ``KEEP`` packet ids are deleted (their ids
    have all been reused since, so they can no longer decide anything)."""
    if not deliveries:
        return
    row_id = db.session.execute(sa.insert(MqttDelivery).returning(MqttDelivery.id), {
        "client_id": client_id, "packet_ids": [p for p, _ in deliveries], "digests": [d for _, d in deliveries]},
    ).scalar_one()
    recent = _recent.setdefault(client_id, deque())
    recent.append((row_id, len(deliveries)))
    kept = sum(count for _, count in recent)
    cut = None
    while recent and kept - recent[0][1] >= KEEP:
        cut, count = recent.popleft()
        kept -= count
    if cut is not None:
        db.session.execute(sa.delete(MqttDelivery).where(MqttDelivery.client_id == client_id,
                                                         MqttDelivery.id <= cut))


def forget(client_id: str) -> int:
    """A drained session will never be resumed: drop its rows."""
    _recent.pop(client_id, None)
    deleted = db.session.execute(sa.delete(MqttDelivery).where(MqttDelivery.client_id == client_id)).rowcount
    db.session.commit()
    return deleted
