"""GraphQL door for permissions."""
from __future__ import annotations

import graphene

from ..services import permissions as service
from ..services.listing import filter_from
from .common import NONE, NoneType, agent
from .enums import PermissionEntities


class PermissionType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    agent_uuid = graphene.UUID(required=True)
    agent_type = PermissionEntities(required=True)
    resource_uuid = graphene.UUID(required=True)
    resource_type = PermissionEntities(required=True)


class PermissionsType(graphene.ObjectType):
    count = graphene.Int(required=True)
    permissions = graphene.List(graphene.NonNull(PermissionType), required=True)


class PermissionCreateInput(graphene.InputObjectType):
    agent_uuid = graphene.UUID(required=True)
    agent_type = PermissionEntities(required=True)
    resource_uuid = graphene.UUID(required=True)
    resource_type = PermissionEntities(required=True)


class PermissionFilterInput(graphene.InputObjectType):
    offset = graphene.Int(default_value=None)
    limit = graphene.Int(default_value=None)
    resource_uuid = graphene.UUID(required=True)
    resource_type = PermissionEntities(required=True)
    agent_type = PermissionEntities(default_value=None)


class PermissionQuery(graphene.ObjectType):
    get_resource_agents = graphene.Field(PermissionsType, required=True,
                                         filters=PermissionFilterInput(required=True))

    def resolve_get_resource_agents(root, info, filters):
        count, rows = service.resource_agents(agent(info), filter_from(service.PermissionFilter, filters))
        return PermissionsType(count=count, permissions=rows)


class CreatePermission(graphene.Mutation):
    class Arguments:
        permission = PermissionCreateInput(required=True)

    Output = graphene.NonNull(PermissionType)

    def mutate(root, info, permission):
        return service.create(agent(info), permission.agent_type, permission.agent_uuid,
                              permission.resource_type, permission.resource_uuid)


class DeletePermission(graphene.Mutation):
    class Arguments:
        agent_uuid = graphene.UUID(required=True)
        resource_uuid = graphene.UUID(required=True)

    Output = graphene.NonNull(NoneType)

    def mutate(root, info, agent_uuid, resource_uuid):
        service.delete(agent(info), agent_uuid, resource_uuid)
        return NONE


class PermissionMutation(graphene.ObjectType):
    create_permission = CreatePermission.Field()
    delete_permission = DeletePermission.Field()
