"""The GraphQL schema: one Query and one Mutation assembled from each area's pieces."""
from __future__ import annotations

import graphene

from .common import NoneType
from .metrics import MetricsQuery
from .unit_log import UnitLogQuery
from .user import UserMutation, UserQuery


class Query(UserQuery, MetricsQuery, UnitLogQuery, graphene.ObjectType):
    pass


class Mutation(UserMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation, types=[NoneType])
