"""Shared GraphQL pieces: the caller, the void result, and the field shapes every area repeats.

v1.2 gives every area the same few shapes: ``getX(uuid)``, ``getXs(filters)`` answered
with ``{count, xs}``, filter inputs that start with ``offset``/``limit``, and "void"
mutations. Each door file declares its own types and names the service call only.
"""
from __future__ import annotations

import graphene

from ..extensions import get_settings
from ..services.agents import Agent, agent_from_token
from ..services.listing import filter_from


class NoneType(graphene.ObjectType):
    """Result of every mutation that returns nothing."""

    is_none = graphene.Boolean(required=True)


NONE = NoneType(is_none=True)


class PageInput:
    """``offset`` and ``limit``, first in every v1.2 filter input (graphene reads fields from every base)."""

    offset = graphene.Int(default_value=None)
    limit = graphene.Int(default_value=None)


class CountedList:
    """``count`` (all matches, paging ignored), first in every v1.2 list result; the subclass adds the list."""

    count = graphene.Int(required=True)


def agent(info) -> Agent:
    """The caller, decoded from ``x-auth-token`` once per GraphQL request."""
    context = info.context
    if "agent" not in context:
        context["agent"] = agent_from_token(context.get("token"), get_settings())
    return context["agent"]


def uuid_query(output, service_call, required: bool = True):
    """A query field ``(uuid: UUID!): output`` answered by ``service_call(agent, uuid)``."""
    def resolve(root, info, uuid):
        return service_call(agent(info), uuid)

    return graphene.Field(output, required=required, uuid=graphene.UUID(required=True), resolver=resolve)


def list_query(result_type, rows_field: str, filter_input, service_list, filter_cls):
    """A query field ``(filters: <filter_input>!): <result_type>!``.

    ``service_list(agent, filter_cls)`` gives ``(count, rows)``; rows go into ``rows_field``.
    """
    def resolve(root, info, filters):
        count, rows = service_list(agent(info), filter_from(filter_cls, filters))
        return result_type(count=count, **{rows_field: rows})

    return graphene.Field(result_type, required=True, filters=filter_input(required=True), resolver=resolve)


def _mutation_field(kind: str, service_call, arguments: dict, output, mutate):
    """A mutation field (``arguments`` keep their order) whose class no schema shows: only its field is used."""
    meta = type("Meta", (), {"arguments": arguments})
    mutation = type(f"{kind}_{service_call.__module__.rsplit('.', 1)[-1]}_{service_call.__name__}",
                    (graphene.Mutation,), {"Meta": meta, "Output": graphene.NonNull(output), "mutate": mutate})
    return mutation.Field()


def void_action(service_call, **arguments):
    """A mutation field ``(<arguments>): NoneType!`` running ``service_call(agent, *arguments)``.

    Most v1.2 "void" mutations are exactly this; each door file names the service call
    and its arguments (in v1.2 order) only.
    """
    def mutate(root, info, **values):
        service_call(agent(info), *(values.get(name) for name in arguments))
        return NONE

    return _mutation_field("VoidAction", service_call, arguments, NoneType, mutate)


def input_action(output, service_call, name: str, input_type):
    """A mutation field ``(<name>: <input_type>!): <output>!`` answering ``service_call(agent, **the input)``.

    v1.2's ``createX(x: XCreateInput!)`` mutations: the input's fields are the service's arguments.
    """
    def mutate(root, info, **values):
        return service_call(agent(info), **values[name])

    return _mutation_field("InputAction", service_call, {name: input_type(required=True)}, output, mutate)


def uuid_action(service_call, **more):
    """``void_action`` whose first argument is ``uuid: UUID!``."""
    return void_action(service_call, uuid=graphene.UUID(required=True), **more)
