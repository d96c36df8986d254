"""GraphQL door for instance metrics."""
from __future__ import annotations

import graphene

from ..services import metrics as service
from .common import agent


class BaseMetricsType(graphene.ObjectType):
    user_count = graphene.Int(required=True)
    repository_registry_count = graphene.Int(required=True)
    repo_count = graphene.Int(required=True)
    unit_count = graphene.Int(required=True)
    unit_node_count = graphene.Int(required=True)
    unit_node_edge_count = graphene.Int(required=True)


class MetricsQuery(graphene.ObjectType):
    get_base_metrics = graphene.Field(BaseMetricsType, required=True)

    def resolve_get_base_metrics(root, info):
        return BaseMetricsType(**service.base_metrics(agent(info)))
