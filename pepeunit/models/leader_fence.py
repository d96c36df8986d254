"""The fencing token of each lease: the newest leadership generation that wrote to the database.

A leader's batch stores its generation here in the batch's own transaction; a batch of an older
generation (a deposed leader still running) finds a newer one and rolls back
(``services.report_batches``).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class LeaderFence(db.Model):
    __tablename__ = "leader_fence"

    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    generation: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
