"""A unit's state storage: one text it keeps on the server, AES-GCM at rest.

Only the unit itself or its creator may read or write it; ``""`` clears it.
"""
from __future__ import annotations

from ..errors import ValidationError
from ..extensions import db, get_settings
from ..models.columns import utcnow
from . import crypto
from .agents import Agent
from .units import get_unit_for_owner


def set_state_storage(agent: Agent, uuid, state: str) -> None:
    unit = get_unit_for_owner(agent, uuid)
    if not isinstance(state, str):
        raise ValidationError("state must be a string")
    settings = get_settings()
    unit.cipher_state_storage = (
        crypto.encrypt(state, settings.PU_ENCRYPT_KEY, settings.PU_MAX_CIPHER_LENGTH) if state else None
    )
    unit.last_update_datetime = utcnow()
    db.session.commit()


def get_state_storage(agent: Agent, uuid) -> str:
    unit = get_unit_for_owner(agent, uuid)
    if not unit.cipher_state_storage:
        return ""
    return crypto.decrypt(unit.cipher_state_storage, get_settings().PU_ENCRYPT_KEY, "Cipher state storage")
