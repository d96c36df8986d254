"""REST door for repos: ``/pepeunit/api/v1/repos``."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ..models import VisibilityLevel
from ..services import repos as service
from .arguments import Blueprint
from .common import BaseSchema, current_agent, enum_field
from .listing import CountedList, PageArgs, enum_list, order_field, page_of, uuid_list

blp = Blueprint("repos", __name__, url_prefix="/repos", description="Repos: pools of units over a registry entry")


class RepoRead(BaseSchema):
    uuid = fields.UUID(required=True)
    visibility_level = enum_field(VisibilityLevel, required=True)
    name = fields.String(required=True)
    create_datetime = fields.DateTime(required=True)
    default_branch = fields.String(allow_none=True)
    is_auto_update_repo = fields.Boolean(required=True)
    default_commit = fields.String(allow_none=True)
    is_only_tag_update = fields.Boolean(required=True)
    is_compilable_repo = fields.Boolean(required=True)
    last_update_datetime = fields.DateTime(required=True)
    creator_uuid = fields.UUID(required=True)
    repository_registry_uuid = fields.UUID(required=True)


class RepoCreate(BaseSchema):
    repository_registry_uuid = fields.UUID(required=True)
    default_branch = fields.String(required=True)
    visibility_level = enum_field(VisibilityLevel, required=True)
    name = fields.String(required=True)
    is_compilable_repo = fields.Boolean(required=True)


class RepoUpdate(BaseSchema):
    visibility_level = enum_field(VisibilityLevel, load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)
    is_auto_update_repo = fields.Boolean(load_default=None, allow_none=True)
    default_branch = fields.String(load_default=None, allow_none=True)
    default_commit = fields.String(load_default=None, allow_none=True)
    is_only_tag_update = fields.Boolean(load_default=None, allow_none=True)
    is_compilable_repo = fields.Boolean(load_default=None, allow_none=True)


class RepoFilterArgs(PageArgs):
    repository_registry_uuid = fields.UUID(load_default=None)
    uuids = uuid_list()
    creator_uuid = fields.UUID(load_default=None)
    creators_uuids = uuid_list()
    search_string = fields.String(load_default=None)
    is_auto_update_repo = fields.Boolean(load_default=None)
    visibility_level = enum_list(VisibilityLevel)
    order_by_create_date = order_field()
    order_by_last_update = order_field()


class ReposResult(CountedList):
    repos = fields.List(fields.Nested(RepoRead), required=True)


class PlatformArgs(BaseSchema):
    target_commit = fields.String(load_default=None)
    target_tag = fields.String(load_default=None)


class PlatformRead(BaseSchema):
    name = fields.String(required=True)
    link = fields.String(required=True)


class RepoVersionRead(BaseSchema):
    commit = fields.String(required=True)
    unit_count = fields.Integer(required=True)
    tag = fields.String(allow_none=True)


class RepoVersionsRead(BaseSchema):
    unit_count = fields.Integer(required=True)
    versions = fields.List(fields.Nested(RepoVersionRead), required=True)


@blp.route("")
class Repos(MethodView):
    @blp.arguments(RepoCreate)
    @blp.response(201, RepoRead)
    def post(self, body):
        """Create a repo over a registry entry (auto-update, tags only)."""
        return service.create(current_agent(), body["repository_registry_uuid"], body["default_branch"],
                              body["visibility_level"], body["name"], body["is_compilable_repo"])

    @blp.arguments(RepoFilterArgs, location="query")
    @blp.response(200, ReposResult)
    def get(self, args):
        """List the repos the caller may see."""
        return page_of(service.list_, service.RepoFilter, args, "repos")


@blp.route("/<uuid:uuid>")
class RepoByUuid(MethodView):
    @blp.response(200, RepoRead)
    def get(self, uuid):
        """Get a repo."""
        return service.get(current_agent(), uuid)

    @blp.arguments(RepoUpdate)
    @blp.response(200, RepoRead)
    def patch(self, body, uuid):
        """Update a repo (creator only); every v1.2 version-policy rule is checked first."""
        return service.update(current_agent(), uuid, body)

    @blp.response(204)
    def delete(self, uuid):
        """Delete a repo (creator only; refused while it has units)."""
        service.delete(current_agent(), uuid)


@blp.route("/available_platforms/<uuid:uuid>")
class AvailablePlatforms(MethodView):
    @blp.arguments(PlatformArgs, location="query")
    @blp.response(200, PlatformRead(many=True))
    def get(self, args, uuid):
        """Firmware platforms (release assets) of a compilable repo's target tag."""
        return service.available_platforms(current_agent(), uuid, args["target_commit"], args["target_tag"])


@blp.route("/versions/<uuid:uuid>")
class Versions(MethodView):
    @blp.response(200, RepoVersionsRead)
    def get(self, uuid):
        """Which commits the repo's units run, most used first."""
        return service.versions(current_agent(), uuid)
