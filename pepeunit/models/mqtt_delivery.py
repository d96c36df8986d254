"""The MQTT messages the consumer committed recently, so a redelivery of one is not stored twice.

The consumer acknowledges a QoS-1 message after its batch commits; when the PUBACK never reaches
the broker (the broker stops or the leader dies between the commit and the ack) the broker
delivers the message again, flagged DUP, with the same packet id. Each committed message's key
(``services.mqtt_deliveries.key``: packet id, topic, payload) is written here in the batch's own
transaction, and a DUP message whose key is here is acknowledged without being stored again.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class MqttDelivery(db.Model):
    __tablename__ = "mqtt_deliveries"

    key: Mapped[bytes] = mapped_column(sa.LargeBinary(16), primary_key=True)
    committed_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, index=True)
