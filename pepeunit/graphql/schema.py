"""The GraphQL schema: one Query and one Mutation assembled from each area's pieces."""
from __future__ import annotations

import graphene

from .common import NoneType
from .metrics import MetricsQuery
from .repo_firmware import RepoFirmwareMutation
from .unit import UnitMutation, UnitQuery
from .unit_node import UnitNodeMutation, UnitNodeQuery
from .user import UserMutation, UserQuery


class Query(UserQuery, UnitQuery, UnitNodeQuery, MetricsQuery, graphene.ObjectType):
    pass


class Mutation(UserMutation, RepoFirmwareMutation, UnitMutation, UnitNodeMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, types=[NoneType])
