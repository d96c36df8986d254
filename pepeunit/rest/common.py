"""Pieces every REST resource shares: the calling agent, base schemas, list arguments."""
from __future__ import annotations

from flask import g, request
from marshmallow import EXCLUDE, Schema, fields, validate

from ..extensions import get_settings
from ..models import OrderByDate
from ..services.agents import Agent, agent_from_token


def current_agent() -> Agent:
    """The agent behind ``x-auth-token``, decoded once per request."""
    if "pepeunit_agent" not in g:
        token = request.headers.get("x-auth-token")
        g.pepeunit_agent = agent_from_token(token, get_settings())
    return g.pepeunit_agent


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


def enum_field(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


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


def order_field(default="desc"):
    return enum_field(OrderByDate, load_default=OrderByDate(default))


def uuid_list():
    return fields.List(fields.UUID(), load_default=None)


JSON_STRING_DOC = {
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "string"}}}}}
}
