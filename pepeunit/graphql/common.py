"""Shared GraphQL pieces: the caller, the void result, uuid-only mutations."""
from __future__ import annotations

import graphene

from ..extensions import get_settings
from ..services.agents import Agent, agent_from_token


class NoneType(graphene.ObjectType):
    """Result of every mutation that returns nothing."""

    is_none = graphene.Boolean(required=True)


NONE = NoneType(is_none=True)


def agent(info) -> Agent:
    """The caller, decoded from ``x-auth-token`` once per GraphQL request."""
    context = info.context
    if "agent" not in context:
        context["agent"] = agent_from_token(context.get("token"), get_settings())
    return context["agent"]


def uuid_action(service_call, **more):
    """A mutation field ``(uuid: UUID!, <more>...): NoneType!`` running ``service_call(agent, uuid, *more)``.

    Most v1.2 "void" mutations are exactly this; each door file names the service call
    and any further arguments (in v1.2 order) only.
    """
    def mutate(root, info, uuid, **values):
        service_call(agent(info), uuid, *(values[name] for name in more))
        return NONE

    meta = type("Meta", (), {"arguments": {"uuid": graphene.UUID(required=True), **more}})
    mutation = type(f"UuidAction_{service_call.__module__.rsplit('.', 1)[-1]}_{service_call.__name__}",
                    (graphene.Mutation,),
                    {"Meta": meta, "Output": graphene.NonNull(NoneType), "mutate": mutate})
    return mutation.Field()
