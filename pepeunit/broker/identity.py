"""The backend's identity on the broker: its MQTT username (a JWT) and its client ids.

The token is deterministic and has no expiry, so every worker and host signs the same
one and EMQX's ACL hash ``mqtt_acl:<token>`` keeps one key; ``services.agents`` accepts
it as the ``Backend`` agent. Client ids starting with ``BACKEND_CLIENT_PREFIX`` belong
to the backend alone (the authorization hook refuses them to units).
"""
from __future__ import annotations

import hashlib

import jwt

from ..models import AgentType

BACKEND_CLIENT_PREFIX = "pepeunit-backend-"


def issue_backend_token(settings) -> str:
    return jwt.encode(
        {"domain": settings.PU_DOMAIN, "type": AgentType.BACKEND.value}, settings.PU_SECRET_KEY, "HS256"
    )


def backend_client_id(settings) -> str:
    """The backend's stable MQTT client id: a new leader resumes the same persistent session."""
    return BACKEND_CLIENT_PREFIX + hashlib.sha256(settings.PU_DOMAIN.encode()).hexdigest()[:16]


def _domain_hash(settings) -> str:
    return hashlib.sha256(settings.PU_DOMAIN.encode()).hexdigest()[:16]


def shared_group(settings) -> str:
    """The MQTT 5 shared-subscription group of this instance's consumers (one per ``PU_DOMAIN``).

    Derived from a hash: a share name may not hold ``/``, ``+`` or ``#``, and a domain may be ``ip:port``."""
    return "pepeunit-" + _domain_hash(settings)


def worker_client_id(settings, host: str, pid: int) -> str:
    """A shared-mode consumer's client id: one per worker process (host + pid), never reused by another."""
    safe_host = "".join(c if c.isalnum() or c in "-_." else "_" for c in host)[:64]
    return f"{BACKEND_CLIENT_PREFIX}{_domain_hash(settings)}-{safe_host}-{pid}"
