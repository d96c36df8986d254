"""GraphQL door for pushing a repo's version to its units: updateUnitsFirmware, bulkUpdate."""
from __future__ import annotations

import graphene

from ..services import unit_firmware
from .common import NONE, NoneType, agent, uuid_action


class BulkUpdate(graphene.Mutation):
    Output = graphene.NonNull(NoneType)

    def mutate(root, info):
        unit_firmware.bulk_update(agent(info))
        return NONE


class RepoFirmwareMutation(graphene.ObjectType):
    update_units_firmware = uuid_action(unit_firmware.update_repo_units_firmware)
    bulk_update = BulkUpdate.Field()
