"""Per-user credentials (personal access tokens) for private registry entries.

Stored AES-GCM-encrypted (``services.crypto``, v1.2 format), decrypted only to
hand them to git through the environment or back to their owner; never logged.
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from ..errors import NoAccessError, RepositoryRegistryError
from ..extensions import db, get_settings
from ..git import GitCommandFailed, LocalRepository
from ..models import AgentType, CredentialStatus, RepositoryRegistry, RepositoryRegistryCredentials
from . import crypto
from .agents import Agent

CREDENTIALS_WHAT = "Cipher credentials private repository"


def validate(credentials) -> tuple[str, str]:
    """``{username, pat_token}`` → a non-empty pair safe to put in an HTTP header."""
    username = (credentials or {}).get("username") if isinstance(credentials, dict) else None
    token = (credentials or {}).get("pat_token") if isinstance(credentials, dict) else None
    if not (isinstance(username, str) and isinstance(token, str) and username.strip() and token.strip()):
        raise RepositoryRegistryError("Credentials is not valid")
    if any(c in username + token for c in "\r\n\0") or len(username) > 255 or len(token) > 4096:
        raise RepositoryRegistryError("Credentials is not valid")
    return username, token


def seal(username: str, token: str) -> str:
    settings = get_settings()
    plain = json.dumps({"username": username, "pat_token": token})
    return crypto.encrypt(plain, settings.PU_ENCRYPT_KEY, settings.PU_MAX_CIPHER_LENGTH)


def open_(row: RepositoryRegistryCredentials) -> tuple[str, str]:
    data = json.loads(crypto.decrypt(row.cipher_credentials, get_settings().PU_ENCRYPT_KEY, CREDENTIALS_WHAT))
    return data["username"], data["pat_token"]


def probe(url: str, credentials: tuple[str, str] | None) -> CredentialStatus:
    """Live check (``git ls-remote``) of what these credentials can reach."""
    try:
        LocalRepository.probe(url, credentials)
        return CredentialStatus.VALID
    except GitCommandFailed:
        return CredentialStatus.ERROR


def row_of(registry_uuid, user_uuid) -> RepositoryRegistryCredentials | None:
    return db.session.execute(
        sa.select(RepositoryRegistryCredentials).where(
            RepositoryRegistryCredentials.repository_registry_uuid == registry_uuid,
            RepositoryRegistryCredentials.user_uuid == user_uuid,
        )
    ).scalar_one_or_none()


def check_access(agent: Agent, registry: RepositoryRegistry) -> tuple[str, str] | None:
    """May ``agent`` build on ``registry``? Returns the caller's credentials for a private one."""
    if agent.type is not AgentType.USER:
        raise NoAccessError("RepositoryRegistry operation allowed only for Users")
    if registry.is_public_repository:
        return None
    has_any = db.session.execute(
        sa.select(sa.literal(1)).where(RepositoryRegistryCredentials.repository_registry_uuid == registry.uuid)
    ).first()
    if has_any is None:
        raise NoAccessError("This RepositoryRegistry has no Credentials")
    row = row_of(registry.uuid, agent.uuid)
    if row is None:
        raise NoAccessError("This User has no external Platform Credentials for operation with RepositoryRegistry")
    if row.status is not CredentialStatus.VALID:
        raise NoAccessError(f"Status Credentials external Platform: CredentialStatus.{row.status.name}")
    return open_(row)


def candidates(registry: RepositoryRegistry) -> list:
    """Credentials a background sync may use: ``[None]`` for a public entry, else every Valid token."""
    if registry.is_public_repository:
        return [None]
    rows = db.session.execute(
        sa.select(RepositoryRegistryCredentials).where(
            RepositoryRegistryCredentials.repository_registry_uuid == registry.uuid,
            RepositoryRegistryCredentials.status == CredentialStatus.VALID,
        ).order_by(RepositoryRegistryCredentials.create_datetime)
    ).scalars()
    return [open_(row) for row in rows]
