"""GraphQL door for unit nodes and edges."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import unit_node_edges
from ..services import unit_nodes as service
from .common import CountedList, PageInput, agent, input_action, list_query, uuid_query, void_action
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


class UnitNodesResultType(CountedList, graphene.ObjectType):
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


class UnitNodeFilterInput(PageInput, graphene.InputObjectType):
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
    get_unit_node = uuid_query(UnitNodeType, service.get)
    get_unit_nodes = list_query(UnitNodesResultType, "unit_nodes", UnitNodeFilterInput, service.list_,
                                service.UnitNodeFilter)


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


class UnitNodeMutation(graphene.ObjectType):
    update_unit_node = UpdateUnitNode.Field()
    set_state_unit_node_input = SetStateUnitNodeInput.Field()
    create_unit_node_edge = input_action(UnitNodeEdgeType, unit_node_edges.create_edge, "unit_node_edge",
                                         UnitNodeEdgeCreateInput)
    delete_unit_node_edge = void_action(unit_node_edges.delete_edge, input_uuid=graphene.UUID(required=True),
                                        output_uuid=graphene.UUID(required=True))
