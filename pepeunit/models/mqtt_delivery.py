"""What a shared-mode MQTT consumer has committed but maybe not yet had acknowledged by the broker.

One row per (consumer client id, MQTT packet id): the digest of the last message with that
packet id whose batch was committed, written in the batch's own transaction. A message the broker
sends again (``dup``) to the same session -- the worker's own after a reconnect, or the leader
adopting a dead worker's session -- whose row matches was stored already: it is acknowledged,
not written twice (``services.mqtt_deliveries``). Packet ids are per session and at most 65535,
so a live consumer has at most 65535 rows; a drained session's rows are deleted.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class MqttDelivery(db.Model):
    __tablename__ = "mqtt_deliveries"

    client_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    packet_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    digest: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
