"""GraphQL enums: the Python enums under their v1.2 names (members by NAME)."""
from __future__ import annotations

import graphene

from .. import models as m

OrderByDate = graphene.Enum.from_enum(m.OrderByDate)
OrderByText = graphene.Enum.from_enum(m.OrderByText)
VisibilityLevel = graphene.Enum.from_enum(m.VisibilityLevel)
UserRole = graphene.Enum.from_enum(m.UserRole)
UserStatus = graphene.Enum.from_enum(m.UserStatus)
GitPlatform = graphene.Enum.from_enum(m.GitPlatform)
RepositoryRegistryStatus = graphene.Enum.from_enum(m.RepositoryRegistryStatus)
CredentialStatus = graphene.Enum.from_enum(m.CredentialStatus)
UnitFirmwareUpdateStatus = graphene.Enum.from_enum(m.UnitFirmwareUpdateStatus)
BackendTopicCommand = graphene.Enum.from_enum(m.BackendTopicCommand)
LogLevel = graphene.Enum.from_enum(m.LogLevel)
UnitNodeTypeEnum = graphene.Enum.from_enum(m.UnitNodeTypeEnum)
PermissionEntities = graphene.Enum.from_enum(m.PermissionEntities)


def enum_list(gql_enum, python_enum, **kwargs):
    """``[X!]`` input defaulting to every member, as v1.2 declares it."""
    return graphene.List(graphene.NonNull(gql_enum), default_value=list(python_enum), **kwargs)


DataPipeStage = graphene.Enum.from_enum(m.DataPipeStage)
TypeInputValue = graphene.Enum.from_enum(m.TypeInputValue)
ProcessingPolicyType = graphene.Enum.from_enum(m.ProcessingPolicyType)
AggregationFunctions = graphene.Enum.from_enum(m.AggregationFunctions)
