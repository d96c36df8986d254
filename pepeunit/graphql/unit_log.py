"""GraphQL door for unit logs: ``getUnitLogs``."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import unit_logs as service
from .common import CountedList, PageInput, list_query
from .enums import LogLevel, OrderByDate, enum_list


class UnitLogType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    level = LogLevel(required=True)
    unit_uuid = graphene.UUID(required=True)
    text = graphene.String(required=True)
    create_datetime = graphene.DateTime(required=True)
    expiration_datetime = graphene.DateTime(required=True)


class UnitLogsResultType(CountedList, graphene.ObjectType):
    unit_logs = graphene.List(graphene.NonNull(UnitLogType), required=True)


class UnitLogFilterInput(PageInput, graphene.InputObjectType):
    uuid = graphene.UUID(required=True)
    level = enum_list(LogLevel, m.LogLevel)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)


class UnitLogQuery(graphene.ObjectType):
    get_unit_logs = list_query(UnitLogsResultType, "unit_logs", UnitLogFilterInput, service.list_,
                               service.UnitLogFilter)
