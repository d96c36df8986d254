"""REST door for unit logs: ``GET /pepeunit/api/v1/units/log_list/``."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ..models import LogLevel
from ..services import unit_logs as service
from .arguments import Blueprint
from .common import BaseSchema, enum_field
from .listing import CountedList, PageArgs, enum_list, order_field, page_of

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


@blp.route("/log_list/")
class UnitLogList(MethodView):
    @blp.arguments(UnitLogFilterArgs, location="query")
    @blp.response(200, UnitLogsResult)
    def get(self, args):
        """A unit's log lines (creator or the unit itself); ``count`` ignores paging."""
        return page_of(service.list_, service.UnitLogFilter, args, "unit_logs")
