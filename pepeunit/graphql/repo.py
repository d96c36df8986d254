"""GraphQL door for repos (v1.2 names).

``updateUnitsFirmware`` and ``bulkUpdate`` belong to the unit firmware work and
are added next to these fields by that area.
"""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import repos as service
from .common import CountedList, PageInput, agent, input_action, list_query, uuid_action, uuid_query
from .enums import OrderByDate, VisibilityLevel, enum_list


class RepoType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    visibility_level = VisibilityLevel(required=True)
    name = graphene.String(required=True)
    create_datetime = graphene.DateTime(required=True)
    default_branch = graphene.String()
    is_auto_update_repo = graphene.Boolean(required=True)
    default_commit = graphene.String()
    is_only_tag_update = graphene.Boolean(required=True)
    is_compilable_repo = graphene.Boolean(required=True)
    last_update_datetime = graphene.DateTime(required=True)
    creator_uuid = graphene.UUID(required=True)
    repository_registry_uuid = graphene.UUID(required=True)


class ReposResultType(CountedList, graphene.ObjectType):
    repos = graphene.List(graphene.NonNull(RepoType), required=True)


class PlatformType(graphene.ObjectType):
    name = graphene.String(required=True)
    link = graphene.String(required=True)


class RepoVersionType(graphene.ObjectType):
    commit = graphene.String(required=True)
    unit_count = graphene.Int(required=True)
    tag = graphene.String()


class RepoVersionsType(graphene.ObjectType):
    unit_count = graphene.Int(required=True)
    versions = graphene.List(graphene.NonNull(RepoVersionType), required=True)


class RepoCreateInput(graphene.InputObjectType):
    repository_registry_uuid = graphene.UUID(required=True)
    default_branch = graphene.String(required=True)
    visibility_level = VisibilityLevel(required=True)
    name = graphene.String(required=True)
    is_compilable_repo = graphene.Boolean(required=True)


class RepoUpdateInput(graphene.InputObjectType):
    visibility_level = VisibilityLevel(default_value=None)
    name = graphene.String(default_value=None)
    is_auto_update_repo = graphene.Boolean(default_value=None)
    default_branch = graphene.String(default_value=None)
    default_commit = graphene.String(default_value=None)
    is_only_tag_update = graphene.Boolean(default_value=None)
    is_compilable_repo = graphene.Boolean(default_value=None)


class RepoFilterInput(PageInput, graphene.InputObjectType):
    repository_registry_uuid = graphene.UUID(default_value=None)
    uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    creator_uuid = graphene.UUID(default_value=None)
    creators_uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    search_string = graphene.String(default_value=None)
    is_auto_update_repo = graphene.Boolean(default_value=None)
    visibility_level = enum_list(VisibilityLevel, m.VisibilityLevel)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)
    order_by_last_update = OrderByDate(default_value=m.OrderByDate.desc)


class RepoQuery(graphene.ObjectType):
    get_repo = uuid_query(RepoType, service.get)
    get_repos = list_query(ReposResultType, "repos", RepoFilterInput, service.list_, service.RepoFilter)
    get_available_platforms = graphene.List(
        graphene.NonNull(PlatformType), required=True, uuid=graphene.UUID(required=True),
        target_commit=graphene.String(default_value=None), target_tag=graphene.String(default_value=None),
    )
    get_versions = uuid_query(RepoVersionsType, service.versions)

    def resolve_get_available_platforms(root, info, uuid, target_commit=None, target_tag=None):
        return service.available_platforms(agent(info), uuid, target_commit, target_tag)


class UpdateRepo(graphene.Mutation):
    class Meta:  # a dict keeps the v1.2 argument order (uuid, repo)
        arguments = {"uuid": graphene.UUID(required=True), "repo": RepoUpdateInput(required=True)}

    Output = graphene.NonNull(RepoType)

    def mutate(root, info, uuid, repo):
        return service.update(agent(info), uuid, dict(repo))


class RepoMutation(graphene.ObjectType):
    create_repo = input_action(RepoType, service.create, "repo", RepoCreateInput)
    update_repo = UpdateRepo.Field()
    delete_repo = uuid_action(service.delete)
