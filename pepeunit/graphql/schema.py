"""The GraphQL schema: one Query and one Mutation assembled from each area's pieces."""
from __future__ import annotations

import graphene

from .common import NoneType
from .data_pipe_config import DataPipeConfigMutation, DataPipeConfigQuery
from .data_pipe_data import DataPipeDataMutation, DataPipeDataQuery
from .grafana import GrafanaMutation, GrafanaQuery
from .metrics import MetricsQuery
from .permission import PermissionMutation, PermissionQuery
from .repo import RepoMutation, RepoQuery
from .repo_firmware import RepoFirmwareMutation
from .repository_registry import RepositoryRegistryMutation, RepositoryRegistryQuery
from .rollout import RolloutMutation, RolloutQuery
from .unit import UnitMutation, UnitQuery
from .unit_log import UnitLogQuery
from .unit_node import UnitNodeMutation, UnitNodeQuery
from .user import UserMutation, UserQuery


class Query(UserQuery, RepoQuery, RepositoryRegistryQuery, UnitQuery, UnitLogQuery, UnitNodeQuery, MetricsQuery,
            PermissionQuery, DataPipeConfigQuery, DataPipeDataQuery, GrafanaQuery,
            RolloutQuery, graphene.ObjectType):
    pass


class Mutation(UserMutation, RepoMutation, RepositoryRegistryMutation, RepoFirmwareMutation, UnitMutation,
               UnitNodeMutation, PermissionMutation, DataPipeConfigMutation, DataPipeDataMutation, GrafanaMutation,
               RolloutMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, types=[NoneType])
