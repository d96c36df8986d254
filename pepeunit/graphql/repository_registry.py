"""GraphQL door for the repository registry (v1.2 names)."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import repository_registry as service
from .common import NONE, CountedList, NoneType, PageInput, agent, list_query, uuid_action, uuid_query
from .enums import CredentialStatus, GitPlatform, OrderByDate, RepositoryRegistryStatus


class RepositoryRegistryType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    platform = GitPlatform(required=True)
    repository_url = graphene.String(required=True)
    is_public_repository = graphene.Boolean(required=True)
    releases_data = graphene.String()
    local_repository_size = graphene.Int(required=True)
    sync_status = RepositoryRegistryStatus()
    sync_error = graphene.String()
    sync_last_datetime = graphene.DateTime()
    create_datetime = graphene.DateTime(required=True)
    last_update_datetime = graphene.DateTime(required=True)
    creator_uuid = graphene.UUID()
    branches = graphene.List(graphene.NonNull(graphene.String), required=True)

    def resolve_branches(root, info):
        return service.visible_branches(agent(info), root)


class RepositoriesRegistryResultType(CountedList, graphene.ObjectType):
    repositories_registry = graphene.List(graphene.NonNull(RepositoryRegistryType), required=True)


class CredentialsType(graphene.ObjectType):
    username = graphene.String(required=True)
    pat_token = graphene.String(required=True)


class OneRepositoryRegistryCredentialsType(graphene.ObjectType):
    credentials = graphene.Field(CredentialsType, required=True)
    status = CredentialStatus(required=True)


class CommitType(graphene.ObjectType):
    commit = graphene.String(required=True)
    summary = graphene.String(required=True)
    tag = graphene.String()


class CredentialsInput(graphene.InputObjectType):
    username = graphene.String(required=True)
    pat_token = graphene.String(required=True)


class RepositoryRegistryCreateInput(graphene.InputObjectType):
    platform = GitPlatform(required=True)
    repository_url = graphene.String(required=True)
    is_public_repository = graphene.Boolean(required=True)
    credentials = CredentialsInput(default_value=None)


class CommitFilterInput(PageInput, graphene.InputObjectType):
    repo_branch = graphene.String(required=True)
    only_tag = graphene.Boolean(required=True, default_value=False)


class RepositoryRegistryFilterInput(PageInput, graphene.InputObjectType):
    uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    creator_uuid = graphene.UUID(default_value=None)
    search_string = graphene.String(default_value=None)
    is_public_repository = graphene.Boolean(default_value=None)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)
    order_by_last_update = OrderByDate(default_value=m.OrderByDate.desc)


class RepositoryRegistryQuery(graphene.ObjectType):
    get_repository_registry = uuid_query(RepositoryRegistryType, service.get)
    get_branch_commits = graphene.List(graphene.NonNull(CommitType), required=True, uuid=graphene.UUID(required=True),
                                       filters=CommitFilterInput(required=True))
    get_credentials = uuid_query(OneRepositoryRegistryCredentialsType, service.get_credentials, required=False)
    get_repositories_registry = list_query(RepositoriesRegistryResultType, "repositories_registry",
                                           RepositoryRegistryFilterInput, service.list_, service.RegistryFilter)

    def resolve_get_branch_commits(root, info, uuid, filters):
        return service.branch_commits(agent(info), uuid, filters.repo_branch, bool(filters.get("only_tag")),
                                      filters.get("offset"), filters.get("limit"))


class CreateRepositoryRegistry(graphene.Mutation):
    class Arguments:
        repository_registry = RepositoryRegistryCreateInput(required=True)

    Output = graphene.NonNull(RepositoryRegistryType)

    def mutate(root, info, repository_registry):
        data = repository_registry
        credentials = data.get("credentials")
        return service.create(agent(info), data.platform, data.repository_url, data.is_public_repository,
                              dict(credentials) if credentials is not None else None)


class SetCredentials(graphene.Mutation):
    class Meta:  # a dict keeps the v1.2 argument order (uuid, data)
        arguments = {"uuid": graphene.UUID(required=True), "data": CredentialsInput(required=True)}

    Output = graphene.NonNull(NoneType)

    def mutate(root, info, uuid, data):
        service.set_credentials(agent(info), uuid, data.username, data.pat_token)
        return NONE


class RepositoryRegistryMutation(graphene.ObjectType):
    create_repository_registry = CreateRepositoryRegistry.Field()
    set_credentials = SetCredentials.Field()
    update_local_repository = uuid_action(service.update_local_repository)
    delete_repository_registry = uuid_action(service.delete)
