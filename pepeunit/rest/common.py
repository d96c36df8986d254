"""Pieces every REST resource shares: the calling agent, the base schema, enum fields, void actions."""
from __future__ import annotations

from flask import g, request
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields

from ..extensions import get_settings
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


class UuidArg(BaseSchema):
    """``?uuid=``: the resource a request is about."""

    uuid = fields.UUID(required=True)


def uuid_and_file(blp, files_schema):
    """A view taking ``?uuid=`` and a multipart upload (``files_schema``), answering 204: ``view(args, files)``."""
    def decorate(view):
        return blp.arguments(UuidArg, location="query")(blp.arguments(files_schema, location="files")(
            blp.response(204)(view)))

    return decorate


def enum_field(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


def action_route(blp, rule: str, method: str, service_call, summary: str) -> None:
    """Register ``rule`` answering ``method`` with 204 after ``service_call(agent, *path values)``.

    For v1.2's actions that take nothing but the caller and the path (block a user,
    fetch a clone, ...); ``summary`` is the OpenAPI summary a view's docstring would be.
    """
    def view(self, **path):
        service_call(current_agent(), *path.values())

    view.__doc__ = summary
    name = "".join(word.title() for word in service_call.__name__.split("_"))
    blp.route(rule)(type(name, (MethodView,), {method: blp.response(204)(view)}))


JSON_STRING_DOC = {
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "string"}}}}}
}
