"""GraphQL door for unit logs: ``getUnitLogs``."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import unit_logs as service
from ..services.listing import filter_from
from .common import agent
from .enums import LogLevel, OrderByDate, enum_list


class UnitLogType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    level = LogLevel(required=True)
    unit_uuid = graphene.UUID(required=True)
    text = graphene.String(required=True)
    create_datetime = graphene.DateTime(required=True)
    expiration_datetime = graphene.DateTime(required=True)


class UnitLogsResultType(graphene.ObjectType):
    count = graphene.Int(required=True)
    unit_logs = graphene.List(graphene.NonNull(UnitLogType), required=True)


class UnitLogFilterInput(graphene.InputObjectType):
    offset = graphene.Int(default_value=None)
    limit = graphene.Int(default_value=None)
    uuid = graphene.UUID(required=True)
    level = enum_list(LogLevel, m.LogLevel)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)


class UnitLogQuery(graphene.ObjectType):
    get_unit_logs = graphene.Field(UnitLogsResultType, required=True, filters=UnitLogFilterInput(required=True))

    def resolve_get_unit_logs(root, info, filters):
        count, rows = service.list_(agent(info), filter_from(service.UnitLogFilter, filters))
        return UnitLogsResultType(count=count, unit_logs=rows)
