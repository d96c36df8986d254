"""GraphQL door for unit nodes and edges."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import unit_node_edges
from ..services import unit_nodes as service
from ..services.listing import filter_from
from .common import NONE, NoneType, agent
from .enums import OrderByDate, UnitNodeTypeEnum, VisibilityLevel, enum_list


class UnitNodeType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    type = UnitNodeTypeEnum(required=True)
    visibility_level = VisibilityLevel(required=True)
    is_rewritable_input = graphene.Boolean(required=True)
    max_connections = graphene.Int(required=True)
    topic_name = graphene.String(required=True)
    last_update_datetime = graphene.DateTime(required=True)
    is_data_pipe_active = graphene.Boolean(required=True)
    data_pipe_yml = graphene.String()
    data_pipe_status = graphene.String()
    data_pipe_error = graphene.String()
    create_datetime = graphene.DateTime(required=True)
    state = graphene.String()
    unit_uuid = graphene.UUID(required=True)
    creator_uuid = graphene.UUID(required=True)


class UnitNodesResultType(graphene.ObjectType):
    count = graphene.Int(required=True)
    unit_nodes = graphene.List(graphene.NonNull(UnitNodeType), required=True)


class UnitNodeEdgeType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    node_output_uuid = graphene.UUID(required=True)
    node_input_uuid = graphene.UUID(required=True)


class UnitNodeUpdateInput(graphene.InputObjectType):
    visibility_level = VisibilityLevel(default_value=None)
    is_rewritable_input = graphene.Boolean(default_value=None)
    is_data_pipe_active = graphene.Boolean(default_value=None)
    max_connections = graphene.Int(default_value=None)


class UnitNodeSetStateInput(graphene.InputObjectType):
    state = graphene.String(default_value=None)


class UnitNodeFilterInput(graphene.InputObjectType):
    offset = graphene.Int(default_value=None)
    limit = graphene.Int(default_value=None)
    uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    unit_uuid = graphene.UUID(default_value=None)
    search_string = graphene.String(default_value=None)
    type = enum_list(UnitNodeTypeEnum, m.UnitNodeTypeEnum)
    visibility_level = enum_list(VisibilityLevel, m.VisibilityLevel)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)
    output_uuid = graphene.UUID(default_value=None)


class UnitNodeEdgeCreateInput(graphene.InputObjectType):
    node_output_uuid = graphene.UUID(required=True)
    node_input_uuid = graphene.UUID(required=True)


class UnitNodeQuery(graphene.ObjectType):
    get_unit_node = graphene.Field(UnitNodeType, required=True, uuid=graphene.UUID(required=True))
    get_unit_nodes = graphene.Field(UnitNodesResultType, required=True, filters=UnitNodeFilterInput(required=True))

    def resolve_get_unit_node(root, info, uuid):
        return service.get(agent(info), uuid)

    def resolve_get_unit_nodes(root, info, filters):
        count, nodes = service.list_(agent(info), filter_from(service.UnitNodeFilter, filters))
        return UnitNodesResultType(count=count, unit_nodes=nodes)


class UpdateUnitNode(graphene.Mutation):
    class Meta:  # a dict keeps the v1.2 argument order
        arguments = {"uuid": graphene.UUID(required=True), "unit_node": UnitNodeUpdateInput(required=True)}

    Output = graphene.NonNull(UnitNodeType)

    def mutate(root, info, uuid, unit_node):
        return service.update(agent(info), uuid, service.UnitNodeUpdate(
            visibility_level=unit_node.get("visibility_level"), is_rewritable_input=unit_node.get("is_rewritable_input"),
            is_data_pipe_active=unit_node.get("is_data_pipe_active"), max_connections=unit_node.get("max_connections"),
        ))


class SetStateUnitNodeInput(graphene.Mutation):
    class Meta:  # a dict keeps the v1.2 argument order
        arguments = {"uuid": graphene.UUID(required=True), "unit_node": UnitNodeSetStateInput(required=True)}

    Output = graphene.NonNull(UnitNodeType)

    def mutate(root, info, uuid, unit_node):
        return service.set_state_input(agent(info), uuid, unit_node.get("state"))


class CreateUnitNodeEdge(graphene.Mutation):
    class Arguments:
        unit_node_edge = UnitNodeEdgeCreateInput(required=True)

    Output = graphene.NonNull(UnitNodeEdgeType)

    def mutate(root, info, unit_node_edge):
        return unit_node_edges.create_edge(agent(info), unit_node_edge.node_output_uuid, unit_node_edge.node_input_uuid)


class DeleteUnitNodeEdge(graphene.Mutation):
    class Arguments:
        input_uuid = graphene.UUID(required=True)
        output_uuid = graphene.UUID(required=True)

    Output = graphene.NonNull(NoneType)

    def mutate(root, info, input_uuid, output_uuid):
        unit_node_edges.delete_edge(agent(info), input_uuid, output_uuid)
        return NONE


class UnitNodeMutation(graphene.ObjectType):
    update_unit_node = UpdateUnitNode.Field()
    set_state_unit_node_input = SetStateUnitNodeInput.Field()
    create_unit_node_edge = CreateUnitNodeEdge.Field()
    delete_unit_node_edge = DeleteUnitNodeEdge.Field()
