"""GraphQL door for units (v1.2 names: UnitType, UnitStateType, UnitsResultType, ...)."""
from __future__ import annotations

import json

import graphene
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode

from .. import models as m
from ..services import toml_md, unit_commands, unit_env, unit_state_storage
from ..services import units as service
from ..services.listing import filter_from
from .common import CountedList, PageInput, agent, uuid_action, uuid_query
from .enums import (
    BackendTopicCommand,
    OrderByDate,
    OrderByText,
    UnitFirmwareUpdateStatus,
    UnitNodeTypeEnum,
    VisibilityLevel,
    enum_list,
)
from .unit_node import UnitNodeType
from .upload import Upload, read_upload


class UnitStateType(graphene.ObjectType):
    ifconfig = graphene.List(graphene.NonNull(graphene.String), required=True)
    millis = graphene.Float()
    mem_free = graphene.Float()
    mem_alloc = graphene.Float()
    freq = graphene.Float()
    statvfs = graphene.List(graphene.NonNull(graphene.Float), required=True)
    pu_commit_version = graphene.String()

    def resolve_ifconfig(root, info):
        return [str(v) for v in root.get("ifconfig") or []]

    def resolve_statvfs(root, info):
        return [float(v) for v in root.get("statvfs") or [] if isinstance(v, (int, float))]


class UnitType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    visibility_level = VisibilityLevel(required=True)
    name = graphene.String(required=True)
    create_datetime = graphene.DateTime(required=True)
    is_auto_update_from_repo_unit = graphene.Boolean(required=True)
    target_firmware_platform = graphene.String()
    repo_branch = graphene.String()
    repo_commit = graphene.String()
    unit_state = graphene.Field(UnitStateType)
    current_commit_version = graphene.String()
    last_update_datetime = graphene.DateTime(required=True)
    creator_uuid = graphene.UUID(required=True)
    repo_uuid = graphene.UUID(required=True)
    firmware_update_status = UnitFirmwareUpdateStatus()
    firmware_update_error = graphene.String()
    last_firmware_update_datetime = graphene.DateTime()
    unit_nodes = graphene.List(graphene.NonNull(UnitNodeType), required=True)

    def resolve_unit_state(root, info):
        return service.unit_state(root)

    def resolve_unit_nodes(root, info):
        return getattr(root, "unit_nodes", [])


class UnitsResultType(CountedList, graphene.ObjectType):
    units = graphene.List(graphene.NonNull(UnitType), required=True)


class TargetVersionType(graphene.ObjectType):
    commit = graphene.String(required=True)
    tag = graphene.String()


class UnitCreateInput(graphene.InputObjectType):
    repo_uuid = graphene.UUID(required=True)
    visibility_level = VisibilityLevel(required=True)
    name = graphene.String(required=True)
    is_auto_update_from_repo_unit = graphene.Boolean(required=True)
    target_firmware_platform = graphene.String(default_value=None)
    repo_branch = graphene.String(default_value=None)
    repo_commit = graphene.String(default_value=None)


class UnitUpdateInput(graphene.InputObjectType):
    visibility_level = VisibilityLevel(default_value=None)
    name = graphene.String(default_value=None)
    is_auto_update_from_repo_unit = graphene.Boolean(default_value=None)
    target_firmware_platform = graphene.String(default_value=None)
    repo_branch = graphene.String(default_value=None)
    repo_commit = graphene.String(default_value=None)


class UnitFilterInput(PageInput, graphene.InputObjectType):
    uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    creator_uuid = graphene.UUID(default_value=None)
    repo_uuid = graphene.UUID(default_value=None)
    repos_uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    search_string = graphene.String(default_value=None)
    is_auto_update_from_repo_unit = graphene.Boolean(default_value=None)
    visibility_level = enum_list(VisibilityLevel, m.VisibilityLevel)
    order_by_unit_name = OrderByText(default_value=m.OrderByText.asc)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)
    order_by_last_update = OrderByDate(default_value=m.OrderByDate.desc)
    unit_node_input_uuid = graphene.UUID(default_value=None)
    unit_node_type = enum_list(UnitNodeTypeEnum, m.UnitNodeTypeEnum)
    unit_node_uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])


def _selects(info, selection_set, name: str, seen=None) -> bool:
    """Whether ``name`` is selected anywhere below ``selection_set`` (fragments included)."""
    seen = seen if seen is not None else set()
    for selection in (selection_set.selections if selection_set else []):
        if isinstance(selection, FieldNode):
            if selection.name.value == name or _selects(info, selection.selection_set, name, seen):
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(info, selection.selection_set, name, seen):
                return True
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None and _selects(info, fragment.selection_set, name, seen):
                return True
    return False


def _unit_create(data) -> service.UnitCreate:
    return service.UnitCreate(
        repo_uuid=data.repo_uuid, visibility_level=data.visibility_level, name=data.name,
        is_auto_update_from_repo_unit=data.is_auto_update_from_repo_unit,
        target_firmware_platform=data.get("target_firmware_platform"), repo_branch=data.get("repo_branch"),
        repo_commit=data.get("repo_commit"),
    )


def _json_text(service_call):
    """``service_call``'s answer as the JSON text v1.2 returns in a String field."""
    def call(caller, uuid):
        return json.dumps(service_call(caller, uuid))

    return call


class UnitQuery(graphene.ObjectType):
    get_unit = uuid_query(UnitType, service.get)
    get_unit_env = uuid_query(graphene.String, _json_text(unit_env.get_env))
    get_target_version = uuid_query(TargetVersionType, service.get_target_version)
    get_unit_current_schema = uuid_query(graphene.String, _json_text(service.get_current_schema))
    get_state_storage = uuid_query(graphene.String, unit_state_storage.get_state_storage)
    get_units = graphene.Field(UnitsResultType, required=True, filters=UnitFilterInput(required=True))
    get_convert_toml_to_md = graphene.String(required=True, file=Upload(required=True))

    def resolve_get_units(root, info, filters):
        include = any(_selects(info, node.selection_set, "unitNodes") for node in info.field_nodes)
        count, units = service.list_(agent(info), filter_from(service.UnitFilter, filters), include_nodes=include)
        return UnitsResultType(count=count, units=units)

    def resolve_get_convert_toml_to_md(root, info, file):
        return toml_md.convert(agent(info), read_upload(file))


class CreateUnit(graphene.Mutation):
    class Arguments:
        unit = UnitCreateInput(required=True)

    Output = graphene.NonNull(UnitType)

    def mutate(root, info, unit):
        return service.create(agent(info), _unit_create(unit), child_name="UnitCreateInput")


class UpdateUnit(graphene.Mutation):
    class Meta:  # a dict keeps the v1.2 argument order
        arguments = {"uuid": graphene.UUID(required=True), "unit": UnitUpdateInput(required=True)}

    Output = graphene.NonNull(UnitType)

    def mutate(root, info, uuid, unit):
        data = service.UnitUpdate(**{k: unit.get(k) for k in (
            "visibility_level", "name", "is_auto_update_from_repo_unit", "target_firmware_platform", "repo_branch",
            "repo_commit")})
        return service.update(agent(info), uuid, data, child_name="UnitUpdateInput")


class UnitMutation(graphene.ObjectType):
    create_unit = CreateUnit.Field()
    update_unit = UpdateUnit.Field()
    update_unit_env = uuid_action(unit_env.set_env, env_json_str=graphene.String(required=True))
    reset_unit_env = uuid_action(unit_env.reset_env)
    set_state_storage = uuid_action(unit_state_storage.set_state_storage, state=graphene.String(required=True))
    send_command_to_input_base_topic = uuid_action(unit_commands.send_command,
                                                   command=BackendTopicCommand(required=True))
    delete_unit = uuid_action(service.delete)
