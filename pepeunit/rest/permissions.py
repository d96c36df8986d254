"""REST door for permissions: ``/pepeunit/api/v1/permission``."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ..models import PermissionEntities
from ..services import permissions as service
from .arguments import Blueprint
from .common import BaseSchema, current_agent, enum_field
from .listing import CountedList, PageArgs, list_route

blp = Blueprint("permission", __name__, url_prefix="/permission", description="Who may see what")


class PermissionRead(BaseSchema):
    uuid = fields.UUID(required=True)
    agent_uuid = fields.UUID(required=True)
    agent_type = enum_field(PermissionEntities, required=True)
    resource_uuid = fields.UUID(required=True)
    resource_type = enum_field(PermissionEntities, required=True)


class PermissionCreate(BaseSchema):
    agent_uuid = fields.UUID(required=True)
    agent_type = enum_field(PermissionEntities, required=True)
    resource_uuid = fields.UUID(required=True)
    resource_type = enum_field(PermissionEntities, required=True)


class ResourceAgentsArgs(PageArgs):
    resource_uuid = fields.UUID(required=True)
    resource_type = enum_field(PermissionEntities, required=True)
    agent_type = enum_field(PermissionEntities, load_default=None)


class PermissionsResult(CountedList):
    permissions = fields.List(fields.Nested(PermissionRead), required=True)


class DeleteArgs(BaseSchema):
    agent_uuid = fields.UUID(required=True)
    resource_uuid = fields.UUID(required=True)


@blp.route("")
class Permissions(MethodView):
    @blp.arguments(PermissionCreate)
    @blp.response(201, PermissionRead)
    def post(self, body):
        """Grant an agent (User or Unit) access to a resource you created."""
        return service.create(current_agent(), body["agent_type"], body["agent_uuid"],
                              body["resource_type"], body["resource_uuid"])


list_route(blp, "/get_resource_agents", ResourceAgentsArgs, PermissionsResult, service.resource_agents,
           service.PermissionFilter, "permissions", "List who has access to a resource you created.")


@blp.route("/<string:ignored>")
class PermissionDelete(MethodView):
    @blp.arguments(DeleteArgs, location="query")
    @blp.response(204)
    def delete(self, args, ignored):
        """Revoke an agent's access (the path segment is kept for v1.2 clients and not used)."""
        service.delete(current_agent(), args["agent_uuid"], args["resource_uuid"])
