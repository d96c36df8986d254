"""REST door for unit nodes and edges: ``/pepeunit/api/v1/unit_nodes``."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ..models import UnitNodeTypeEnum, VisibilityLevel
from ..services import unit_node_edges
from ..services import unit_nodes as service
from .arguments import Blueprint
from .common import BaseSchema, current_agent, enum_field
from .listing import CountedList, PageArgs, enum_list, list_route, order_field, uuid_list

blp = Blueprint("unit_nodes", __name__, url_prefix="/unit_nodes", description="Unit nodes and edges")


class UnitNodeRead(BaseSchema):
    uuid = fields.UUID(required=True)
    type = enum_field(UnitNodeTypeEnum, required=True)
    visibility_level = enum_field(VisibilityLevel, required=True)
    is_rewritable_input = fields.Boolean(required=True)
    max_connections = fields.Integer(required=True)
    topic_name = fields.String(required=True)
    last_update_datetime = fields.DateTime(required=True)
    is_data_pipe_active = fields.Boolean(required=True)
    data_pipe_yml = fields.String(allow_none=True)
    data_pipe_status = fields.String(allow_none=True)
    data_pipe_error = fields.String(allow_none=True)
    create_datetime = fields.DateTime(required=True)
    state = fields.String(allow_none=True)
    unit_uuid = fields.UUID(required=True)
    creator_uuid = fields.UUID(required=True)


class UnitNodeUpdate(BaseSchema):
    visibility_level = enum_field(VisibilityLevel, load_default=None, allow_none=True)
    is_rewritable_input = fields.Boolean(load_default=None, allow_none=True)
    is_data_pipe_active = fields.Boolean(load_default=None, allow_none=True)
    max_connections = fields.Integer(load_default=None, allow_none=True)


class UnitNodeSetState(BaseSchema):
    state = fields.String(load_default=None, allow_none=True)


class UnitNodeFilterArgs(PageArgs):
    uuids = uuid_list()
    unit_uuid = fields.UUID(load_default=None)
    search_string = fields.String(load_default=None)
    type = enum_list(UnitNodeTypeEnum)
    visibility_level = enum_list(VisibilityLevel)
    order_by_create_date = order_field()
    output_uuid = fields.UUID(load_default=None)


class UnitNodesResult(CountedList):
    unit_nodes = fields.List(fields.Nested(UnitNodeRead), required=True)


class UnitNodeEdgeCreate(BaseSchema):
    node_output_uuid = fields.UUID(required=True)
    node_input_uuid = fields.UUID(required=True)


class UnitNodeEdgeRead(BaseSchema):
    uuid = fields.UUID(required=True)
    node_output_uuid = fields.UUID(required=True)
    node_input_uuid = fields.UUID(required=True)


list_route(blp, "", UnitNodeFilterArgs, UnitNodesResult, service.list_, service.UnitNodeFilter, "unit_nodes",
           "List the nodes the caller may see; ``output_uuid``: Input nodes fed by that Output.")


@blp.route("/<uuid:uuid>")
class UnitNodeByUuid(MethodView):
    @blp.response(200, UnitNodeRead)
    def get(self, uuid):
        """Get a node (visibility rules apply)."""
        return service.get(current_agent(), uuid)

    @blp.arguments(UnitNodeUpdate)
    @blp.response(200, UnitNodeRead)
    def patch(self, body, uuid):
        """Change a node's visibility, rewritable flag, data pipe flag or max_connections (creator)."""
        return service.update(current_agent(), uuid, service.UnitNodeUpdate(**body))


@blp.route("/set_state_input/<uuid:uuid>")
class SetStateInput(MethodView):
    @blp.arguments(UnitNodeSetState)
    @blp.response(200, UnitNodeRead)
    def patch(self, body, uuid):
        """Publish a value to an Input node's topic and keep it as the node's state."""
        return service.set_state_input(current_agent(), uuid, body["state"])


@blp.route("/create_unit_node_edge")
class CreateEdge(MethodView):
    @blp.arguments(UnitNodeEdgeCreate)
    @blp.response(201, UnitNodeEdgeRead)
    def post(self, body):
        """Link an Output node to an Input node you created."""
        return unit_node_edges.create_edge(current_agent(), body["node_output_uuid"], body["node_input_uuid"])
