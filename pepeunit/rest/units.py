"""REST door for units: ``/pepeunit/api/v1/units``."""
from __future__ import annotations

import json

from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import fields, pre_dump

from ..models import BackendTopicCommand, OrderByText, UnitFirmwareUpdateStatus, UnitNodeTypeEnum, VisibilityLevel
from ..services import toml_md, unit_commands, unit_env, unit_firmware, unit_state_storage
from ..services import units as service
from .arguments import Blueprint
from .common import JSON_STRING_DOC, BaseSchema, current_agent, enum_field
from .listing import CountedList, PageArgs, enum_list, order_field, page_of, uuid_list
from .unit_nodes import UnitNodeRead

blp = Blueprint("units", __name__, url_prefix="/units", description="Units, env.json, schema.json and firmware")

JSON_OBJECT_DOC = {"responses": {"200": {"description": "OK", "content": {
    "application/json": {"schema": {"type": "object"}}}}}}


def _file_doc(mimetype: str) -> dict:
    return {"responses": {"200": {"description": "archive", "content": {
        mimetype: {"schema": {"type": "string", "format": "binary"}}}}}}


class UnitState(BaseSchema):
    ifconfig = fields.List(fields.Raw(), required=True)
    millis = fields.Float(allow_none=True)
    mem_free = fields.Float(allow_none=True)
    mem_alloc = fields.Float(allow_none=True)
    freq = fields.Float(allow_none=True)
    statvfs = fields.List(fields.Raw(), required=True)
    pu_commit_version = fields.String(allow_none=True)


class UnitRead(BaseSchema):
    uuid = fields.UUID(required=True)
    visibility_level = enum_field(VisibilityLevel, required=True)
    name = fields.String(required=True)
    create_datetime = fields.DateTime(required=True)
    is_auto_update_from_repo_unit = fields.Boolean(required=True)
    target_firmware_platform = fields.String(allow_none=True)
    repo_branch = fields.String(allow_none=True)
    repo_commit = fields.String(allow_none=True)
    unit_state = fields.Nested(UnitState, allow_none=True)
    current_commit_version = fields.String(allow_none=True)
    last_update_datetime = fields.DateTime(required=True)
    creator_uuid = fields.UUID(required=True)
    repo_uuid = fields.UUID(required=True)
    firmware_update_status = enum_field(UnitFirmwareUpdateStatus, allow_none=True)
    firmware_update_error = fields.String(allow_none=True)
    last_firmware_update_datetime = fields.DateTime(allow_none=True)
    unit_nodes = fields.List(fields.Nested(UnitNodeRead), required=True)

    @pre_dump
    def _flatten(self, unit, **kwargs):
        data = {name: getattr(unit, name) for name in self.fields if name not in ("unit_state", "unit_nodes")}
        data["unit_state"] = service.unit_state(unit)
        data["unit_nodes"] = getattr(unit, "unit_nodes", [])
        return data


class UnitCreate(BaseSchema):
    repo_uuid = fields.UUID(required=True)
    visibility_level = enum_field(VisibilityLevel, required=True)
    name = fields.String(required=True)
    is_auto_update_from_repo_unit = fields.Boolean(required=True)
    target_firmware_platform = fields.String(load_default=None, allow_none=True)
    repo_branch = fields.String(load_default=None, allow_none=True)
    repo_commit = fields.String(load_default=None, allow_none=True)


class UnitUpdate(BaseSchema):
    visibility_level = enum_field(VisibilityLevel, load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)
    is_auto_update_from_repo_unit = fields.Boolean(load_default=None, allow_none=True)
    target_firmware_platform = fields.String(load_default=None, allow_none=True)
    repo_branch = fields.String(load_default=None, allow_none=True)
    repo_commit = fields.String(load_default=None, allow_none=True)


class UnitFilterArgs(PageArgs):
    uuids = uuid_list()
    creator_uuid = fields.UUID(load_default=None)
    repo_uuid = fields.UUID(load_default=None)
    repos_uuids = uuid_list()
    search_string = fields.String(load_default=None)
    is_auto_update_from_repo_unit = fields.Boolean(load_default=None)
    visibility_level = enum_list(VisibilityLevel)
    order_by_unit_name = enum_field(OrderByText, load_default=OrderByText.asc)
    order_by_create_date = order_field()
    order_by_last_update = order_field()
    unit_node_input_uuid = fields.UUID(load_default=None)
    unit_node_type = enum_list(UnitNodeTypeEnum)
    unit_node_uuids = uuid_list()
    is_include_output_unit_nodes = fields.Boolean(load_default=False)


class UnitsResult(CountedList):
    units = fields.List(fields.Nested(UnitRead), required=True)


class EnvUpdate(BaseSchema):
    env_json_string = fields.String(required=True)


class StateStorage(BaseSchema):
    state = fields.String(required=True)


class TargetVersionRead(BaseSchema):
    commit = fields.String(required=True)
    tag = fields.String(allow_none=True)


class CommandArgs(BaseSchema):
    command = enum_field(BackendTopicCommand, required=True)


class TgzArgs(BaseSchema):
    wbits = fields.Integer(load_default=9)
    level = fields.Integer(load_default=9)


class TomlUpload(BaseSchema):
    file = Upload(required=True)


@blp.route("")
class Units(MethodView):
    @blp.arguments(UnitCreate)
    @blp.response(201, UnitRead)
    def post(self, body):
        """Create a unit from a repo (following it, or pinned to a branch and commit)."""
        return service.create(current_agent(), service.UnitCreate(**body))

    @blp.arguments(UnitFilterArgs, location="query")
    @blp.response(200, UnitsResult)
    def get(self, args):
        """List the units the caller may see; ``is_include_output_unit_nodes`` adds their nodes."""
        return page_of(service.list_, service.UnitFilter, args, "units",
                       include_nodes=args["is_include_output_unit_nodes"])


@blp.route("/<uuid:uuid>")
class UnitByUuid(MethodView):
    @blp.response(200, UnitRead)
    def get(self, uuid):
        """Get a unit (visibility rules apply)."""
        return service.get(current_agent(), uuid)

    @blp.arguments(UnitUpdate)
    @blp.response(200, UnitRead)
    def patch(self, body, uuid):
        """Change a unit (creator); its nodes follow the new target version and it gets Update."""
        return service.update(current_agent(), uuid, service.UnitUpdate(**body))

    @blp.response(204)
    def delete(self, uuid):
        """Delete a unit with its nodes, edges and logs (creator)."""
        service.delete(current_agent(), uuid)


@blp.route("/env/<uuid:uuid>")
class Env(MethodView):
    @blp.response(200)
    @blp.doc(**JSON_OBJECT_DOC)
    def get(self, uuid):
        """The unit's env.json as a JSON object (creator or the unit itself)."""
        return unit_env.get_env(current_agent(), uuid)

    @blp.arguments(EnvUpdate)
    @blp.response(204)
    def patch(self, body, uuid):
        """Save env values (a JSON object encoded as a string) over the current env (creator)."""
        unit_env.set_env(current_agent(), uuid, body["env_json_string"])

    @blp.response(204)
    def delete(self, uuid):
        """Forget the saved env (creator)."""
        unit_env.reset_env(current_agent(), uuid)


@blp.route("/get_target_version/<uuid:uuid>")
class TargetVersion(MethodView):
    @blp.response(200, TargetVersionRead)
    def get(self, uuid):
        """The commit (and tag) the unit should run."""
        return service.get_target_version(current_agent(), uuid)


@blp.route("/get_current_schema/<uuid:uuid>")
class CurrentSchema(MethodView):
    @blp.response(200)
    @blp.doc(**JSON_OBJECT_DOC)
    def get(self, uuid):
        """The unit's schema.json as a JSON object (creator or the unit itself)."""
        return service.get_current_schema(current_agent(), uuid)


def _archive(uuid, kind: str, wbits: int = 9, level: int = 9) -> Response:
    body, mimetype = unit_firmware.firmware(current_agent(), uuid, kind, wbits, level)
    return Response(body, mimetype=mimetype)


@blp.route("/firmware/zip/<uuid:uuid>")
class FirmwareZip(MethodView):
    @blp.response(200)
    @blp.doc(**_file_doc("application/zip"))
    def get(self, uuid):
        """Firmware as a zip: repository files at the target commit, env.json, schema.json."""
        return _archive(uuid, "zip")


@blp.route("/firmware/tar/<uuid:uuid>")
class FirmwareTar(MethodView):
    @blp.response(200)
    @blp.doc(**_file_doc("application/x-tar"))
    def get(self, uuid):
        """Firmware as an uncompressed tar (entries ``./...``)."""
        return _archive(uuid, "tar")


@blp.route("/firmware/tgz/<uuid:uuid>")
class FirmwareTgz(MethodView):
    @blp.arguments(TgzArgs, location="query")
    @blp.response(200)
    @blp.doc(**_file_doc("application/x-tar"))
    def get(self, args, uuid):
        """The tar through ``zlib.compressobj(level, DEFLATED, wbits)``; wbits 9 (default) is a zlib stream."""
        return _archive(uuid, "tgz", args["wbits"], args["level"])


@blp.route("/set_state_storage/<uuid:uuid>")
class SetStateStorage(MethodView):
    @blp.arguments(StateStorage)
    @blp.response(204)
    def post(self, body, uuid):
        """Keep a text for the unit, encrypted (creator or the unit itself); "" clears it."""
        unit_state_storage.set_state_storage(current_agent(), uuid, body["state"])


@blp.route("/get_state_storage/<uuid:uuid>")
class GetStateStorage(MethodView):
    @blp.response(200)
    @blp.doc(**JSON_STRING_DOC)
    def get(self, uuid):
        """The stored text as a JSON string literal ("" when empty), byte for byte what clients return."""
        text = unit_state_storage.get_state_storage(current_agent(), uuid)
        return Response(json.dumps(text), mimetype="application/json")


@blp.route("/send_command_to_input_base_topic/<uuid:uuid>")
class SendCommand(MethodView):
    @blp.arguments(CommandArgs, location="query")
    @blp.response(204)
    def post(self, args, uuid):
        """Publish Update, EnvUpdate, SchemaUpdate or LogSync to the unit (when its schema has the topic)."""
        unit_commands.send_command(current_agent(), uuid, args["command"])


@blp.route("/convert_toml_to_md")
class ConvertTomlToMd(MethodView):
    @blp.arguments(TomlUpload, location="files")
    @blp.response(200)
    @blp.doc(responses={"200": {"description": "README", "content": {"text/markdown": {"schema": {"type": "string"}}}}})
    def post(self, files):
        """Render an uploaded pepeunit.toml (multipart field ``file``) as README Markdown."""
        text = toml_md.convert(current_agent(), files["file"].read())
        return Response(text, mimetype="text/markdown")
