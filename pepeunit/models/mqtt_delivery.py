"""What a shared-mode MQTT consumer committed, so a message the broker sends again is stored once.

One row per committed batch of a consumer: its client id and, in arrival order, the MQTT packet
ids of the batch's QoS-1 messages with a digest of each message's topic and payload, written in
the batch's own transaction (``services.mqtt_deliveries``). Packet ids are per session and reused
by the broker only after our acknowledgement, so a consumer keeps only its newest rows covering
the last 65535+ packet ids; a drained session's rows are deleted.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class MqttDelivery(db.Model):
    __tablename__ = "mqtt_deliveries"
    __table_args__ = (sa.Index("ix_mqtt_deliveries_client_id_id", "client_id", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    packet_ids: Mapped[list[int]] = mapped_column(postgresql.ARRAY(sa.Integer), nullable=False)
    digests: Mapped[list[int]] = mapped_column(postgresql.ARRAY(sa.BigInteger), nullable=False)
