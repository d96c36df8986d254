"""Refuse GraphQL documents that are too big, too deep or too wide, or carry a NUL in a
string literal, before anything runs.

The size limit (``MAX_QUERY_LENGTH`` characters of query text) is checked on the
raw text before parsing: parsing megabytes of query text takes seconds and memory.
Depth and field counts follow fragments (so a fragment cannot hide a deep or
exponential selection) and skip the introspection fields ``__schema``/``__type``,
so GraphiQL and code generators keep working.
"""
from __future__ import annotations

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    visit,
)

from ..errors import ValidationError
from ..json_input import NUL

MAX_QUERY_LENGTH = 20_000
MAX_DEPTH = 10
MAX_FIELDS = 1_000


def check_size(query: str) -> list[GraphQLError]:
    """Refuse by size before parsing."""
    if len(query) > MAX_QUERY_LENGTH:
        return [GraphQLError(f"Query is too large: {len(query)} characters, the limit is {MAX_QUERY_LENGTH}.")]
    return []


def check(document: DocumentNode) -> list[GraphQLError]:
    """Depth and field count of a parsed document."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    counter = {"fields": 0}
    errors: list[GraphQLError] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            depth = _walk(definition.selection_set, fragments, 0, counter, frozenset())
            if depth > MAX_DEPTH:
                errors.append(GraphQLError(f"Query is too deep: depth {depth}, the limit is {MAX_DEPTH}.",
                                           definition))
            if counter["fields"] > MAX_FIELDS:
                errors.append(GraphQLError(
                    f"Query selects too many fields: more than {MAX_FIELDS}.", definition))
                break
    return errors


def _walk(selection_set, fragments, depth, counter, seen) -> int:
    if selection_set is None:
        return depth
    deepest = depth
    for selection in selection_set.selections:
        if counter["fields"] > MAX_FIELDS:
            return deepest
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            counter["fields"] += 1
            deepest = max(deepest, _walk(selection.selection_set, fragments, depth + 1, counter, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _walk(selection.selection_set, fragments, depth, counter, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # cycles and unknown fragments are reported by standard validation
            deepest = max(deepest, _walk(fragments[name].selection_set, fragments, depth, counter, seen | {name}))
    return deepest


class _NulFinder(Visitor):
    def __init__(self):
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_):
        if NUL in node.value:
            self.found = node
            return self.BREAK
        return None


def check_strings(document: DocumentNode) -> list[GraphQLError]:
    """A string literal (``"\\u0000"`` escapes) holding NUL, which PostgreSQL text cannot store."""
    finder = _NulFinder()
    visit(document, finder)
    if finder.found is None:
        return []
    message = ValidationError("string literals must not contain the NUL character (\\u0000)").message
    return [GraphQLError(message, finder.found)]
