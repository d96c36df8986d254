"""Pieces every REST resource shares: the calling agent, base schemas, list arguments."""
from __future__ import annotations

from flask import current_app, g, request
from marshmallow import EXCLUDE, Schema, fields, validate

from ..models import OrderByDate
from ..services.agents import Agent, agent_from_token
from ..services.listing import Page


def current_agent() -> Agent:
    """The agent behind ``x-auth-token``, decoded once per request."""
    if "pepeunit_agent" not in g:
        token = request.headers.get("x-auth-token")
        g.pepeunit_agent = agent_from_token(token, current_app.config["PU_SETTINGS"])
    return g.pepeunit_agent


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE


def enum_field(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


def enum_list(enum_cls):
    """Repeated query value; missing means every member, unknown strings match nothing."""
    return fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=[m.value for m in enum_cls],
        metadata={"description": "repeat the parameter; values: " + ", ".join(m.value for m in enum_cls)},
    )


def to_enums(enum_cls, values):
    known = {m.value: m for m in enum_cls}
    return [known[v] for v in values if v in known]


class PageArgs(BaseSchema):
    offset = fields.Integer(load_default=None)
    limit = fields.Integer(load_default=None)


def page_of(args: dict) -> Page:
    return Page(offset=args.get("offset"), limit=args.get("limit"))


def order_field(default="desc"):
    return enum_field(OrderByDate, load_default=OrderByDate(default))


def uuid_list():
    return fields.List(fields.UUID(), load_default=None)


JSON_STRING_DOC = {
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "string"}}}}}
}
