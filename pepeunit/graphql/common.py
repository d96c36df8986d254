"""Shared GraphQL pieces: the caller, the void result, pagination inputs."""
from __future__ import annotations

import graphene
from flask import current_app

from ..services.agents import Agent, agent_from_token
from ..services.listing import Page


class NoneType(graphene.ObjectType):
    """Result of every mutation that returns nothing."""

    is_none = graphene.Boolean(required=True)


NONE = NoneType(is_none=True)


def agent(info) -> Agent:
    """The caller, decoded from ``x-auth-token`` once per GraphQL request."""
    context = info.context
    if "agent" not in context:
        context["agent"] = agent_from_token(context.get("token"), current_app.config["PU_SETTINGS"])
    return context["agent"]


def page_of(filters) -> Page:
    return Page(offset=filters.get("offset"), limit=filters.get("limit"))


def pagination_fields():
    return {"offset": graphene.Int(default_value=None), "limit": graphene.Int(default_value=None)}


def uuid_action(service_call):
    """A mutation field ``(uuid: UUID!): NoneType!`` that runs ``service_call(agent, uuid)``.

    Most v1.2 "void" mutations are exactly this; each door file names the service call only.
    """
    def mutate(root, info, uuid):
        service_call(agent(info), uuid)
        return NONE

    arguments = type("Arguments", (), {"uuid": graphene.UUID(required=True)})
    mutation = type(f"UuidAction_{service_call.__module__.rsplit('.', 1)[-1]}_{service_call.__name__}",
                    (graphene.Mutation,),
                    {"Arguments": arguments, "Output": graphene.NonNull(NoneType), "mutate": mutate})
    return mutation.Field()
