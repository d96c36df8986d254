"""List requests and their answers: the filter arguments' fields, ``count`` + rows, the service call."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from ..models import OrderByDate
from ..services.listing import filter_from
from .common import BaseSchema, current_agent, enum_field


class EnumList(fields.List):
    """Repeated query value read as members of ``enum_cls``; unknown strings are dropped (they match nothing)."""

    def __init__(self, enum_cls, **kwargs):
        self.enum_cls = enum_cls
        super().__init__(fields.String(validate=validate.Length(max=64)), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        known = {m.value: m for m in self.enum_cls}
        return [known[v] for v in super()._deserialize(value, attr, data, **kwargs) if v in known]


def enum_list(enum_cls):
    """Missing means every member."""
    return EnumList(
        enum_cls,
        load_default=lambda: list(enum_cls),
        metadata={"default": [m.value for m in enum_cls],
                  "description": "repeat the parameter; values: " + ", ".join(m.value for m in enum_cls)},
    )


class PageArgs(BaseSchema):
    offset = fields.Integer(load_default=None)
    limit = fields.Integer(load_default=None)


class CountedList(BaseSchema):
    """``count`` (all matches, paging ignored), first in every v1.2 list result; the subclass adds the list."""

    count = fields.Integer(required=True)


def page_of(service_list, filter_cls, args, rows_field: str, **options) -> dict:
    """A list request's answer: ``service_list(agent, filter_cls, **options)`` gives ``(count, rows)``."""
    count, rows = service_list(current_agent(), filter_from(filter_cls, args), **options)
    return {"count": count, rows_field: rows}


def list_route(blp, rule: str, args_schema, result_schema, service_list, filter_cls, rows_field: str,
               summary: str) -> None:
    """Register ``rule`` answering GET with ``page_of(service_list, filter_cls, args, rows_field)``.

    For list requests that are their URL's only verb; ``args_schema`` is read from the query and
    ``summary`` is the OpenAPI summary a view's docstring would be.
    """
    def view(self, args):
        return page_of(service_list, filter_cls, args, rows_field)

    view.__doc__ = summary
    name = "".join(word.title() for word in rows_field.split("_")) + "List"
    get = blp.arguments(args_schema, location="query")(blp.response(200, result_schema)(view))
    blp.route(rule)(type(name, (MethodView,), {"get": get}))


def order_field(default="desc"):
    return enum_field(OrderByDate, load_default=OrderByDate(default))


def uuid_list():
    return fields.List(fields.UUID(), load_default=None)
