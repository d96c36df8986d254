"""REST door for unit logs: ``GET /pepeunit/api/v1/units/log_list/``."""
from __future__ import annotations

from marshmallow import fields

from ..models import LogLevel
from ..services import unit_logs as service
from .arguments import Blueprint
from .common import BaseSchema, enum_field
from .listing import CountedList, PageArgs, enum_list, list_route, order_field

blp = Blueprint("unit_logs", __name__, url_prefix="/units", description="Logs sent by units")


class UnitLogRead(BaseSchema):
    uuid = fields.UUID(required=True)
    level = enum_field(LogLevel, required=True)
    unit_uuid = fields.UUID(required=True)
    text = fields.String(required=True)
    create_datetime = fields.DateTime(required=True)
    expiration_datetime = fields.DateTime(required=True)


class UnitLogFilterArgs(PageArgs):
    uuid = fields.UUID(required=True)
    level = enum_list(LogLevel)
    order_by_create_date = order_field()


class UnitLogsResult(CountedList):
    unit_logs = fields.List(fields.Nested(UnitLogRead), required=True)


list_route(blp, "/log_list/", UnitLogFilterArgs, UnitLogsResult, service.list_, service.UnitLogFilter, "unit_logs",
           "A unit's log lines (creator or the unit itself); ``count`` ignores paging.")
