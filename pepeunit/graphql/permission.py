"""GraphQL door for permissions."""
from __future__ import annotations

import graphene

from ..services import permissions as service
from .common import CountedList, PageInput, input_action, list_query, void_action
from .enums import PermissionEntities


class PermissionType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    agent_uuid = graphene.UUID(required=True)
    agent_type = PermissionEntities(required=True)
    resource_uuid = graphene.UUID(required=True)
    resource_type = PermissionEntities(required=True)


class PermissionsType(CountedList, graphene.ObjectType):
    permissions = graphene.List(graphene.NonNull(PermissionType), required=True)


class PermissionCreateInput(graphene.InputObjectType):
    agent_uuid = graphene.UUID(required=True)
    agent_type = PermissionEntities(required=True)
    resource_uuid = graphene.UUID(required=True)
    resource_type = PermissionEntities(required=True)


class PermissionFilterInput(PageInput, graphene.InputObjectType):
    resource_uuid = graphene.UUID(required=True)
    resource_type = PermissionEntities(required=True)
    agent_type = PermissionEntities(default_value=None)


class PermissionQuery(graphene.ObjectType):
    get_resource_agents = list_query(PermissionsType, "permissions", PermissionFilterInput,
                                     service.resource_agents, service.PermissionFilter)


class PermissionMutation(graphene.ObjectType):
    create_permission = input_action(PermissionType, service.create, "permission", PermissionCreateInput)
    delete_permission = void_action(service.delete, agent_uuid=graphene.UUID(required=True),
                                    resource_uuid=graphene.UUID(required=True))
