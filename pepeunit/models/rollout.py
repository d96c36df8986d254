"""Staged firmware rollouts: a repo's rollout policy, each rollout, its stages and its units.

A rollout copies the policy it started under, so changing the policy never changes a rollout
already running. ``RolloutUnit`` records, per unit, its stage, the version it ran before
(where a roll-back sends it) and when ``Update`` went out (``sent_at``: a restarted leader
never sends a unit twice).
"""
from __future__ import annotations

import enum
import uuid as uuid_module
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .columns import created_at, enum_type, fk, utcnow, uuid_pk


class RolloutStatus(str, enum.Enum):
    RUNNING = "Running"
    PAUSED = "Paused"
    HALTED = "Halted"
    COMPLETED = "Completed"
    ABORTED = "Aborted"
    SUPERSEDED = "Superseded"


ACTIVE_ROLLOUT = (RolloutStatus.RUNNING, RolloutStatus.PAUSED)


class RolloutStageStatus(str, enum.Enum):
    WAITING = "Waiting"
    RUNNING = "Running"
    PASSED = "Passed"
    FAILED = "Failed"


class RolloutUnitStatus(str, enum.Enum):
    WAITING = "Waiting"        # its stage has not started
    UPDATING = "Updating"      # Update sent (or about to be), no verdict yet
    SUCCESS = "Success"
    ERROR = "Error"
    ROLLING_BACK = "RollingBack"
    ROLLED_BACK = "RolledBack"


class RolloutPolicy(db.Model):
    """How a repo rolls a new target version out; no row: every unit gets ``Update`` at once (v1.2)."""

    __tablename__ = "rollout_policies"

    repo_uuid: Mapped[uuid_module.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("repos.uuid", ondelete="CASCADE"), primary_key=True)
    stages: Mapped[list] = mapped_column(sa.JSON, nullable=False)  # cumulative percentages, last is 100
    failure_threshold: Mapped[float] = mapped_column(sa.Float, nullable=False)
    stage_timeout_seconds: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    auto_rollback: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    # The repo's target when the policy was set: what units run until the first rollout.
    baseline_commit: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    baseline_tag: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    last_update_datetime: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)


class Rollout(db.Model):
    __tablename__ = "rollouts"

    uuid: Mapped[uuid_module.UUID] = uuid_pk()
    repo_uuid: Mapped[uuid_module.UUID] = fk("repos.uuid")
    status: Mapped[RolloutStatus] = mapped_column(enum_type(RolloutStatus), nullable=False)
    from_commit: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    from_tag: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    target_commit: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    target_tag: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    current_stage: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=-1)  # -1: none started
    failure_threshold: Mapped[float] = mapped_column(sa.Float, nullable=False)
    stage_timeout_seconds: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    auto_rollback: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    rolled_back: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    halt_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    create_datetime: Mapped[datetime] = created_at()
    finish_datetime: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)


class RolloutStage(db.Model):
    __tablename__ = "rollout_stages"

    rollout_uuid: Mapped[uuid_module.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("rollouts.uuid", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    percent: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[RolloutStageStatus] = mapped_column(enum_type(RolloutStageStatus), nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    finish_datetime: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)


class RolloutUnit(db.Model):
    __tablename__ = "rollout_units"

    rollout_uuid: Mapped[uuid_module.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("rollouts.uuid", ondelete="CASCADE"), primary_key=True)
    unit_uuid: Mapped[uuid_module.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("units.uuid", ondelete="CASCADE"), primary_key=True, index=True)
    stage_index: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    previous_commit: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    previous_tag: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    status: Mapped[RolloutUnitStatus] = mapped_column(enum_type(RolloutUnitStatus), nullable=False)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    rollback_sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
