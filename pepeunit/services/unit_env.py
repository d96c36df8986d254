"""env.json: the four-layer merge of Pepeunit v1.2.

Priority, highest first: what a user sends to ``set_env`` > the stored env
(AES-GCM at rest) > generated ``PU_*`` keys > the repo's ``env_example.json``.
Only ``env_example.json``'s own keys and the 14 generated keys survive;
``PU_COMMIT_VERSION`` (the target commit) is added last when reading.
"""
from __future__ import annotations

import json

from sqlalchemy.exc import InvalidRequestError

from .. import json_input
from ..errors import GitRepoError, JSONDecodeError_, not_found
from ..extensions import db, get_settings
from ..models import AgentType, Unit
from . import access, crypto
from .agents import Agent, issue_unit_token
from .lookup import get_or_not_found
from .target_version import unit_source
from .unit_files import read_env_example

COMMIT_VERSION = "PU_COMMIT_VERSION"
GENERATED_KEYS = (
    "PU_DOMAIN", "PU_HTTP_TYPE", "PU_APP_PREFIX", "PU_API_ACTUAL_PREFIX", "PU_MQTT_HOST", "PU_MQTT_PORT",
    "PU_AUTH_TOKEN", "PU_SECRET_KEY", "PU_ENCRYPT_KEY", "PU_MQTT_PING_INTERVAL", "PU_MQTT_KEEPALIVE",
    "PU_STATE_SEND_INTERVAL", "PU_MIN_LOG_LEVEL", "PU_MAX_LOG_LENGTH",
)
RESERVED_KEYS = frozenset(GENERATED_KEYS) | {COMMIT_VERSION}


def generated(unit: Unit, settings) -> dict:
    """The generated layer; the two keys are fresh random values on every call."""
    return {
        "PU_DOMAIN": settings.PU_DOMAIN,
        "PU_HTTP_TYPE": "https" if settings.PU_SECURE else "http",
        "PU_APP_PREFIX": settings.PU_APP_PREFIX,
        "PU_API_ACTUAL_PREFIX": settings.PU_API_V1_PREFIX,
        "PU_MQTT_HOST": settings.PU_MQTT_HOST,
        "PU_MQTT_PORT": settings.PU_MQTT_PORT,
        "PU_AUTH_TOKEN": issue_unit_token(unit.uuid, settings),
        "PU_SECRET_KEY": crypto.random_key_b64(32),
        "PU_ENCRYPT_KEY": crypto.random_key_b64(32),
        "PU_MQTT_PING_INTERVAL": 20,
        "PU_MQTT_KEEPALIVE": 60,
        "PU_STATE_SEND_INTERVAL": settings.PU_STATE_SEND_INTERVAL,
        "PU_MIN_LOG_LEVEL": "Debug",
        "PU_MAX_LOG_LENGTH": 64,
    }


def stored(unit: Unit, settings) -> dict:
    if not unit.cipher_env_dict:
        return {}
    text = crypto.decrypt(unit.cipher_env_dict, settings.PU_ENCRYPT_KEY, "Cipher env")
    try:
        value = json.loads(text)
    except ValueError:
        raise JSONDecodeError_("Data Cipher env is invalid") from None
    return value if isinstance(value, dict) else {}


def merge(target: dict, generated_layer: dict, stored_layer: dict, user_layer: dict | None,
          commit: str | None) -> dict:
    """Layers merged and filtered; ``commit`` (when given) becomes ``PU_COMMIT_VERSION``, last."""
    env = dict(target)
    for layer in (generated_layer, stored_layer, user_layer or {}):
        env.update(layer)
    allowed = ({k for k in target if k not in RESERVED_KEYS}) | set(GENERATED_KEYS)
    env = {k: v for k, v in env.items() if k in allowed}
    if commit is not None:
        env[COMMIT_VERSION] = commit
    return env


def check_against_example(env: dict, target: dict, with_commit: bool) -> None:
    """Every ``env_example.json`` key must be resolved (the commit version only when it is added)."""
    missing = {k for k in target if k not in env and (with_commit or k != COMMIT_VERSION)}
    if missing:
        raise GitRepoError(f"This env file has {missing} unresolved variable")


def unit_env(unit: Unit, commit: str, target: dict, with_commit: bool = True, user_layer: dict | None = None) -> dict:
    settings = get_settings()
    env = merge(target, generated(unit, settings), stored(unit, settings), user_layer, commit if with_commit else None)
    check_against_example(env, target, with_commit)
    return env


def env_for_unit(unit: Unit) -> dict:
    """The env.json a unit gets now: the target version's example, with the commit version."""
    source = unit_source(unit)
    target = read_env_example(source.git, source.version.commit)
    return unit_env(unit, source.version.commit, target)


def store(unit: Unit, env: dict) -> None:
    settings = get_settings()
    plain = {k: v for k, v in env.items() if k != COMMIT_VERSION}
    unit.cipher_env_dict = crypto.encrypt(json.dumps(plain), settings.PU_ENCRYPT_KEY, settings.PU_MAX_CIPHER_LENGTH)


def lock_stored(unit: Unit) -> None:
    """Lock the unit's row (``FOR UPDATE``, until the caller commits) and re-read its stored env.

    Every read-modify-write of the stored env calls this after its git work and before it reads
    the stored layer, so an env written meanwhile is merged over, never reverted by a stale copy.
    """
    try:
        db.session.refresh(unit, ["cipher_env_dict"], with_for_update=True)
    except InvalidRequestError:  # the row was deleted meanwhile
        raise not_found() from None


def follow_version(unit: Unit, commit: str, target: dict) -> None:
    """Re-merge a locked unit's stored env for ``target``; the row is written only if the env changes."""
    env = unit_env(unit, commit, target, with_commit=False)
    if env != stored(unit, get_settings()):
        store(unit, env)


def _load(agent: Agent, uuid, creator_only: bool) -> Unit:
    access.require(agent, *((AgentType.USER,) if creator_only else (AgentType.USER, AgentType.UNIT)))
    unit = get_or_not_found(Unit, uuid)
    if creator_only:
        access.require_creator(agent, unit)
    else:
        access.require_creator_or_self(agent, unit)
    return unit


# --- doors ---------------------------------------------------------------------
def get_env(agent: Agent, uuid) -> dict:
    return env_for_unit(_load(agent, uuid, creator_only=False))


def set_env(agent: Agent, uuid, env_json_string: str) -> None:
    unit = _load(agent, uuid, creator_only=True)
    try:
        user_layer = json.loads(env_json_string)
    except (TypeError, ValueError, RecursionError):  # RecursionError: nested too deeply
        raise JSONDecodeError_("Data env.json is invalid") from None
    if not isinstance(user_layer, dict):
        raise JSONDecodeError_("Data env.json is invalid")
    json_input.refuse_nul(user_layer, "env_json_string")
    source = unit_source(unit)
    target = read_env_example(source.git, source.version.commit)
    lock_stored(unit)
    env = unit_env(unit, source.version.commit, target, with_commit=False, user_layer=user_layer)
    store(unit, env)
    db.session.commit()


def reset_env(agent: Agent, uuid) -> None:
    unit = _load(agent, uuid, creator_only=True)
    unit.cipher_env_dict = None
    db.session.commit()
