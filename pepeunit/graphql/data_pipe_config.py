"""GraphQL door for a node's DataPipe config: checkDataPipeConfig, getDataPipeConfig, setDataPipeConfig."""
from __future__ import annotations

import graphene

from ..services.datapipe import configs
from .common import NONE, NoneType, agent
from .enums import DataPipeStage
from .upload import Upload


class DataPipeValidationErrorType(graphene.ObjectType):
    stage = DataPipeStage(required=True)
    message = graphene.String(required=True)


class DataPipeConfigQuery(graphene.ObjectType):
    check_data_pipe_config = graphene.List(graphene.NonNull(DataPipeValidationErrorType), required=True,
                                           file=Upload(required=True))
    get_data_pipe_config = graphene.String(required=True, uuid=graphene.UUID(required=True))

    def resolve_check_data_pipe_config(root, info, file):
        return configs.check(agent(info), file)

    def resolve_get_data_pipe_config(root, info, uuid):
        return configs.get_config(agent(info), uuid)


class SetDataPipeConfig(graphene.Mutation):
    class Meta:  # a dict keeps the v1.2 argument order
        arguments = {"uuid": graphene.UUID(required=True), "file": Upload(required=True)}

    Output = graphene.NonNull(NoneType)

    def mutate(root, info, uuid, file):
        configs.set_config(agent(info), uuid, file)
        return NONE


class DataPipeConfigMutation(graphene.ObjectType):
    set_data_pipe_config = SetDataPipeConfig.Field()
