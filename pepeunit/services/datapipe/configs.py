"""A node's DataPipe config: check, set and show it; what (de)activating a pipe does; the default pipe.

Every door (REST, GraphQL) calls these. Whenever a node's pipe changes, the per-process config
caches are told after the change is committed (``cache.invalidate()``), so the consumer never
runs a config that was rolled back. v1.2 pushed a message on the Redis stream
``backend_data_pipe_nodes`` for its separate service instead; we have no such stream.

``data_pipe_status`` / ``data_pipe_error`` (never written in v1.2, Q1) say whether the pipe runs:
``Active``, ``Inactive`` (switched off) or ``Error`` with the reason the stored config cannot run.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from ...broker import topics
from ...errors import DataPipeError, FeatureFlagError, JSONDecodeError_
from ...extensions import db, get_settings
from ...models import AgentType, DataPipeStatus, UnitNode
from .. import access
from ..agents import Agent
from ..lookup import get_or_not_found
from . import cache
from .documents import stored_to_yaml
from .pipe_config import DEFAULT_LAST_VALUE, PipeConfig, StoredConfigError
from .validation import ConfigProblem, validate

log = logging.getLogger(__name__)

_PENDING = "pepeunit_datapipe_changed"


# --- feature flag -------------------------------------------------------------------
def require_enabled() -> None:
    """Every DataPipe operation answers v1.2's feature-flag error when PU_FF_DATAPIPE_ENABLE is off."""
    if not get_settings().PU_FF_DATAPIPE_ENABLE:
        raise FeatureFlagError()


# --- the three operations -----------------------------------------------------------
def check(agent: Agent, source) -> list[ConfigProblem]:
    """Every problem of an uploaded YAML config (``[]`` when valid); open to every caller."""
    require_enabled()
    access.require(agent, *access.ANY_AGENT)
    return validate(source, get_settings().PU_MQTT_MAX_PAYLOAD_SIZE)[1]


def set_config(agent: Agent, uuid, source) -> None:
    """Store a valid config on an active pipe of the caller's node; an invalid one changes nothing."""
    require_enabled()
    access.require_user(agent)
    node = get_or_not_found(UnitNode, uuid, lock=True)
    access.require_creator(agent, node)
    if not node.is_data_pipe_active:
        raise DataPipeError("Data pipe is not active")
    config, problems = validate(source, get_settings().PU_MQTT_MAX_PAYLOAD_SIZE)
    if problems:
        raise DataPipeError(f"{len(problems)} validation errors for DataPipeConfig")
    node.data_pipe_yml = config.to_stored()
    _set_status(node)
    db.session.commit()


def get_config(agent: Agent, uuid) -> str:
    """The stored config as YAML; a user who may see the node (v1.2 showed it to every user, Q15)."""
    require_enabled()
    access.require(agent, AgentType.USER)
    node = get_or_not_found(UnitNode, uuid)
    access.require_visible(agent, node)
    if not node.is_data_pipe_active:
        raise DataPipeError("Data pipe is not active")
    if not node.data_pipe_yml:
        raise DataPipeError("Data pipe is not filled")
    try:
        return stored_to_yaml(node.data_pipe_yml)
    except (ValueError, TypeError):
        raise JSONDecodeError_("Data DataPipe config is invalid") from None


# --- effects of other changes ---------------------------------------------------------
def activation_changed(node: UnitNode) -> None:
    """``is_data_pipe_active`` was set through ``updateUnitNode``: say whether the pipe now runs."""
    _set_status(node)


def give_default_pipe(node: UnitNode) -> None:
    """A new ``/pepeunit`` node starts with the default LastValue pipe when both DataPipe flags are on."""
    settings = get_settings()
    if not (settings.PU_FF_DATAPIPE_ENABLE and settings.PU_FF_DATAPIPE_DEFAULT_LAST_VALUE_ENABLE):
        return
    if not node.topic_name.endswith(topics.SUFFIX):
        return
    node.is_data_pipe_active = True
    node.data_pipe_yml = DEFAULT_LAST_VALUE.to_stored()
    _set_status(node)


def node_removed(node: UnitNode) -> None:
    """A node with a running pipe is being deleted: caches must forget it once that is committed."""
    if node.is_data_pipe_active:
        invalidate_after_commit()


def status_of(node: UnitNode) -> tuple[DataPipeStatus, str | None]:
    if not node.is_data_pipe_active:
        return DataPipeStatus.INACTIVE, None
    try:
        PipeConfig.from_stored(node.data_pipe_yml)
    except StoredConfigError as exc:
        return DataPipeStatus.ERROR, str(exc)
    return DataPipeStatus.ACTIVE, None


def _set_status(node: UnitNode) -> None:
    status, error = status_of(node)
    node.data_pipe_status, node.data_pipe_error = status.value, error
    invalidate_after_commit()


# --- telling the caches, after the commit ------------------------------------------------
def invalidate_after_commit() -> None:
    """Call ``cache.invalidate()`` when the current transaction commits (never for a rollback)."""
    db.session().info[_PENDING] = True


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _after_commit(session) -> None:
    if session.info.pop(_PENDING, False):
        try:
            cache.invalidate()
        except Exception:  # the change is committed; a lost signal must not turn it into an error
            log.exception("DataPipe cache invalidation failed")


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)

