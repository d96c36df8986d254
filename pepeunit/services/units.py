"""Units: devices built from a repo, pinned to a version or following the repo.

Create, read, update, delete and list. A unit is never less restrictive than
its repo, its nodes never less restrictive than it; creating one grants
creator -> unit, unit -> repo and unit -> unit, and makes its nodes from the
target version's ``schema_example.json``.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..errors import GitRepoError, MqttError, RepoError, ServiceUnavailableError, UnitError
from ..extensions import db, get_settings
from ..models import (
    AgentType,
    BackendTopicCommand,
    OrderByDate,
    OrderByText,
    PermissionEntities,
    Repo,
    Unit,
    UnitNode,
    UnitNodeEdge,
    UnitNodeTypeEnum,
    VisibilityLevel,
)
from ..models.columns import utcnow
from . import access, acl_generation, unit_env
from .agents import Agent
from .auto_permissions import grant
from .datapipe import configs as data_pipe_configs
from .listing import Page, fetch_page, in_enum, order, search
from .lookup import get_or_not_found
from .rules import check_unique_name, commit_unique_name
from .target_version import TargetVersion, branch_commits, repository_of, unit_source
from .unit_commands import command_to_unit, firmware_link
from .unit_files import read_env_example
from .unit_files import read_schema as read_schema_example
from .unit_nodes import lift_visibility, sync_nodes, visible_nodes
from .unit_schema import build_schema

log = logging.getLogger(__name__)
STATE_LISTS = ("ifconfig", "statvfs")
STATE_NUMBERS = ("millis", "mem_free", "mem_alloc", "freq")


@dataclass
class UnitCreate:
    repo_uuid: object
    visibility_level: VisibilityLevel
    name: str
    is_auto_update_from_repo_unit: bool
    target_firmware_platform: str | None = None
    repo_branch: str | None = None
    repo_commit: str | None = None


@dataclass
class UnitUpdate:
    visibility_level: VisibilityLevel | None = None
    name: str | None = None
    is_auto_update_from_repo_unit: bool | None = None
    target_firmware_platform: str | None = None
    repo_branch: str | None = None
    repo_commit: str | None = None


@dataclass
class UnitFilter:
    page: Page = field(default_factory=Page)
    uuids: list | None = None
    creator_uuid: object = None
    repo_uuid: object = None
    repos_uuids: list | None = None
    search_string: str | None = None
    is_auto_update_from_repo_unit: bool | None = None
    visibility_level: list | None = field(default_factory=lambda: list(VisibilityLevel))
    order_by_unit_name: OrderByText | None = OrderByText.asc
    order_by_create_date: OrderByDate | None = OrderByDate.desc
    order_by_last_update: OrderByDate | None = OrderByDate.desc
    unit_node_input_uuid: object = None
    unit_node_type: list | None = field(default_factory=lambda: list(UnitNodeTypeEnum))
    unit_node_uuids: list | None = None


def unit_state(unit: Unit) -> dict | None:
    """The last hardware state as the seven v1.2 keys (wrong types become null / [])."""
    if not unit.unit_state_dict:
        return None
    try:
        raw = json.loads(unit.unit_state_dict)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    state = {}
    for key in ("ifconfig", "millis", "mem_free", "mem_alloc", "freq", "statvfs", "pu_commit_version"):
        value = raw.get(key)
        if key in STATE_LISTS:
            state[key] = value if isinstance(value, list) else []
        elif key in STATE_NUMBERS:
            state[key] = float(value) if isinstance(value, (int, float)) else None
        else:
            state[key] = value if isinstance(value, str) else None
    return state


def _check_name(name, exclude_uuid=None) -> None:
    check_unique_name(Unit.name, name, UnitError, exclude_uuid=exclude_uuid)


def _validated_version(unit: Unit, repo: Repo) -> tuple[TargetVersion, dict, dict]:
    """Target version, its checked schema and env examples; every rule of create/update."""
    if not unit.is_auto_update_from_repo_unit and not (unit.repo_branch and unit.repo_commit):
        raise UnitError("Unit updated manually requires branch and commit to be filled out")
    if unit.is_auto_update_from_repo_unit:  # a default branch gone upstream is named, not hidden behind RepoError
        branch_commits(repository_of(repo), repo.default_branch)
    try:
        source = unit_source(unit, repo)
    except GitRepoError:
        if unit.is_auto_update_from_repo_unit:
            raise RepoError("Invalid auto updated target version") from None
        raise
    version, git = source.version, source.git
    if repo.is_compilable_repo:
        firmware_link(repo, version, unit.target_firmware_platform)
    return version, read_schema_example(git, version.commit), read_env_example(git, version.commit)


def _commit_unique() -> None:
    commit_unique_name(UnitError)


def _rollback_on_error(function):
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise
    wrapper.__name__, wrapper.__doc__ = function.__name__, function.__doc__
    return wrapper


# --- doors ---------------------------------------------------------------------
@_rollback_on_error
def create(agent: Agent, data: UnitCreate, child_name: str = "UnitCreate") -> Unit:
    access.require_user(agent)
    _check_name(data.name)
    repo = get_or_not_found(Repo, data.repo_uuid)
    access.require_visible(agent, repo)
    access.visibility_not_below(repo, data.visibility_level, "Repo", child_name)
    unit = Unit(
        repo_uuid=repo.uuid, visibility_level=data.visibility_level, name=data.name,
        is_auto_update_from_repo_unit=data.is_auto_update_from_repo_unit,
        target_firmware_platform=data.target_firmware_platform,
        repo_branch=data.repo_branch, repo_commit=data.repo_commit, creator_uuid=agent.uuid,
    )
    _, schema, _ = _validated_version(unit, repo)
    db.session.add(unit)
    db.session.flush()
    grant(PermissionEntities.USER, agent.uuid, PermissionEntities.UNIT, unit.uuid)
    grant(PermissionEntities.UNIT, unit.uuid, PermissionEntities.REPO, repo.uuid)
    grant(PermissionEntities.UNIT, unit.uuid, PermissionEntities.UNIT, unit.uuid)
    sync_nodes(unit, schema)
    _commit_unique()
    acl_generation.bump()
    return unit


def get(agent: Agent, uuid) -> Unit:
    access.require(agent, *access.ANY_AGENT)
    unit = get_or_not_found(Unit, uuid)
    access.require_visible(agent, unit)
    return unit


def resync(unit: Unit, repo: Repo | None = None) -> None:
    """Nodes (and a stored env) follow the unit's current target version; the caller commits."""
    source = unit_source(unit, repo)
    git, version = source.git, source.version
    schema = read_schema_example(git, version.commit)
    # The row lock comes after the git work and before the nodes' advisory lock (same order on every path).
    unit_env.lock_stored(unit)
    sync_nodes(unit, schema)
    if unit.cipher_env_dict:
        unit_env.follow_version(unit, version.commit, read_env_example(git, version.commit))


def send_update_quietly(unit: Unit) -> None:
    try:
        command_to_unit(unit, BackendTopicCommand.UPDATE)
    except (MqttError, ServiceUnavailableError) as error:
        log.warning("Update to unit %s not sent: %s", unit.uuid, error)


@_rollback_on_error
def update(agent: Agent, uuid, data: UnitUpdate, child_name: str = "UnitUpdate") -> Unit:
    access.require_user(agent)
    unit = get_or_not_found(Unit, uuid)
    access.require_creator(agent, unit)
    if data.name is not None and data.name != unit.name:
        _check_name(data.name, exclude_uuid=unit.uuid)
    repo = db.session.get(Repo, unit.repo_uuid)
    if data.visibility_level is not None:
        access.visibility_not_below(repo, data.visibility_level, "Repo", child_name)
    for name in ("visibility_level", "name", "is_auto_update_from_repo_unit", "target_firmware_platform",
                 "repo_branch", "repo_commit"):
        value = getattr(data, name)
        if value is not None:
            setattr(unit, name, value)
    _validated_version(unit, repo)
    lift_visibility(unit)
    resync(unit, repo)
    unit.last_update_datetime = utcnow()  # baseline item 10: an update must move it forward
    _commit_unique()
    acl_generation.bump()
    send_update_quietly(unit)
    return unit


@_rollback_on_error
def delete(agent: Agent, uuid) -> None:
    access.require_user(agent)
    unit = get_or_not_found(Unit, uuid)
    access.require_creator(agent, unit)
    data_pipe_configs.invalidate_after_commit()  # its nodes' pipes go with it
    db.session.delete(unit)
    db.session.commit()
    acl_generation.bump()


def get_target_version(agent: Agent, uuid) -> TargetVersion:
    return unit_source(get_unit_for_owner(agent, uuid)).version


def get_current_schema(agent: Agent, uuid) -> dict:
    unit = get_unit_for_owner(agent, uuid)
    source = unit_source(unit)
    return build_schema(get_settings().PU_DOMAIN, unit, read_schema_example(source.git, source.version.commit))


def get_unit_for_owner(agent: Agent, uuid) -> Unit:
    access.require(agent, AgentType.USER, AgentType.UNIT)
    unit = get_or_not_found(Unit, uuid)
    access.require_creator_or_self(agent, unit)
    return unit


def _node_condition(agent: Agent, filters: UnitFilter):
    if filters.unit_node_input_uuid is not None:
        linked = sa.select(UnitNodeEdge.node_output_uuid).where(
            UnitNodeEdge.node_input_uuid == filters.unit_node_input_uuid)
        return sa.and_(UnitNode.type == UnitNodeTypeEnum.OUTPUT, UnitNode.uuid.in_(linked), visible_nodes(agent))
    condition = sa.and_(in_enum(UnitNode.type, filters.unit_node_type), visible_nodes(agent))
    if filters.unit_node_uuids:
        condition = sa.and_(condition, UnitNode.uuid.in_(filters.unit_node_uuids))
    return condition


def list_(agent: Agent, filters: UnitFilter, include_nodes: bool = False) -> tuple[int, list[Unit]]:
    """Units ``agent`` may see; with ``include_nodes`` each carries ``unit_nodes``.

    Node filters narrow the units only when they name nodes (``unit_node_uuids``
    or ``unit_node_input_uuid``); otherwise units without matching nodes stay,
    with an empty list.
    """
    access.require(agent, *access.ANY_AGENT)
    query = sa.select(Unit).where(access.visibility_clause(agent, Unit, PermissionEntities.UNIT,
                                                           filters.visibility_level))
    if filters.uuids:
        query = query.where(Unit.uuid.in_(filters.uuids))
    if filters.creator_uuid is not None:
        query = query.where(Unit.creator_uuid == filters.creator_uuid)
    if filters.repo_uuid is not None:
        query = query.where(Unit.repo_uuid == filters.repo_uuid)
    if filters.repos_uuids:
        query = query.where(Unit.repo_uuid.in_(filters.repos_uuids))
    if filters.is_auto_update_from_repo_unit is not None:
        query = query.where(Unit.is_auto_update_from_repo_unit == filters.is_auto_update_from_repo_unit)
    query = search(query, filters.search_string, [Unit.name])
    node_condition = _node_condition(agent, filters) if include_nodes else None
    if include_nodes and (filters.unit_node_uuids or filters.unit_node_input_uuid is not None):
        owners = sa.select(UnitNode.unit_uuid).where(node_condition)
        query = query.where(Unit.uuid.in_(owners))
    query = order(query, (Unit.name, filters.order_by_unit_name), (Unit.create_datetime, filters.order_by_create_date),
                  (Unit.last_update_datetime, filters.order_by_last_update))
    count, units = fetch_page(query, filters.page, Unit.uuid)
    if include_nodes and units:
        nodes = db.session.execute(
            sa.select(UnitNode).where(node_condition, UnitNode.unit_uuid.in_([u.uuid for u in units]))
            .order_by(UnitNode.create_datetime, UnitNode.uuid)
        ).scalars()
        by_unit: dict = {}
        for node in nodes:
            by_unit.setdefault(node.unit_uuid, []).append(node)
        for unit in units:
            unit.unit_nodes = by_unit.get(unit.uuid, [])
    return count, units
