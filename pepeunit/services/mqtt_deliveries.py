"""Exactly-once storage of messages a broker delivers twice, for shared-mode consumers.

A shared-mode consumer acknowledges a message after its batch commits. If the worker dies (or
its connection drops) between the commit and the acknowledgement, the broker sends the message
again, flagged ``dup``, with the **same packet id, to the same session**: Mosquitto 2 and EMQX 5
keep a disconnected persistent session's unacknowledged messages in that session (they do not
hand them to another group member), and the session is resumed by the worker itself on reconnect
or by the leader adopting a dead worker's session (``mqtt.shared_group``).

So the key of a delivery is (client id, packet id) plus a digest of topic and payload: each batch
records its messages' keys in its own transaction (``record``), and a ``dup`` message whose key
and digest match a recorded one was stored already (``stored_already``). The digest guards the
case where our acknowledgement reached the broker, it reused the packet id for a new message, and
that one was redelivered: it is stored unless it has the very same topic and payload as the
message that used the packet id before (65535 messages earlier in that session). That is the one
duplicate-free-but-lossy corner left; docs/ingestion.md says so.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from ..extensions import db
from ..models import MqttDelivery
from . import bulk_sql

_RECORD = (
    "INSERT INTO mqtt_deliveries (client_id, packet_id, digest) VALUES %s "
    "ON CONFLICT (client_id, packet_id) DO UPDATE SET digest = EXCLUDED.digest"
)


def digest(topic: bytes, payload: bytes) -> int:
    """A signed 64-bit digest of one message (fits a BIGINT)."""
    value = hashlib.blake2b(topic + b"\x00" + payload, digest_size=8).digest()
    return int.from_bytes(value, "big", signed=True)


def stored_already(client_id: str, candidates: list[tuple[int, int]]) -> set[int]:
    """Of ``(packet id, digest)`` redelivered to ``client_id``, the packet ids already committed."""
    if not candidates:
        return set()
    wanted = dict(candidates)
    rows = db.session.execute(sa.select(MqttDelivery.packet_id, MqttDelivery.digest).where(
        MqttDelivery.client_id == client_id, MqttDelivery.packet_id.in_(list(wanted)))).all()
    db.session.rollback()  # a read only: end the transaction, the batch opens its own
    return {packet_id for packet_id, stored in rows if wanted.get(packet_id) == stored}


def record(client_id: str, deliveries: list[tuple[int, int]]) -> None:
    """In the caller's transaction: these ``(packet id, digest)`` are committed with the batch."""
    latest = dict(deliveries)  # one row per packet id (the last one of the batch)
    if latest:
        bulk_sql.execute(_RECORD, [(client_id, packet_id, value) for packet_id, value in latest.items()])


def forget(client_id: str) -> int:
    """A drained session will never be resumed: drop its rows."""
    deleted = db.session.execute(sa.delete(MqttDelivery).where(MqttDelivery.client_id == client_id)).rowcount
    db.session.commit()
    return deleted
