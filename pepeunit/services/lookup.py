"""Loading one row by its uuid, or failing with v1.2's not-found error.

Every service that reads an entity a caller named goes through ``get_or_not_found``,
so an unknown uuid gives the same answer on every door.
"""
from __future__ import annotations

from typing import TypeVar

from ..errors import not_found
from ..extensions import db

Model = TypeVar("Model")


def get_or_not_found(model: type[Model], uuid, lock: bool = False) -> Model:
    """The ``model`` row with primary key ``uuid``; ``lock`` takes it ``FOR UPDATE``."""
    row = db.session.get(model, uuid, with_for_update=lock)
    if row is None:
        raise not_found()
    return row
