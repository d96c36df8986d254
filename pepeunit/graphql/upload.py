"""The ``Upload`` scalar of the GraphQL multipart request spec.

``view.py`` puts each uploaded file (a werkzeug ``FileStorage``) into the
variables; resolvers get it unchanged and call ``read()``.
"""
from __future__ import annotations

import graphene
from graphql import Undefined


class Upload(graphene.Scalar):
    """A file sent as a multipart part (operations / map / files)."""

    @staticmethod
    def serialize(value):
        return None

    @staticmethod
    def parse_literal(node, _variables=None):
        return Undefined  # files only arrive through variables

    @staticmethod
    def parse_value(value):
        if hasattr(value, "read") or isinstance(value, (str, bytes)):
            return value
        return Undefined


def read_upload(value) -> bytes | str:
    return value.read() if hasattr(value, "read") else value
