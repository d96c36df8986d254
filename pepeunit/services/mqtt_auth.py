"""MQTT authorization: may this MQTT username (a JWT) publish or subscribe on this topic?

EMQX's HTTP authorization source (and the dev broker's plugin) asks with
``{"token", "topic", "action", "clientid"}``. The rules, tighter than Pepeunit v1.2:

- a unit may **subscribe** to its own input base topics
  ``{D}/input_base_topic/{own}/{name}/pepeunit``, its own Input node topics and
  the Output node topics linked to one of its Input nodes by an edge;
- a unit may **publish** to its own output base topics and its own Output node topics;
- nothing else: no wildcards, no other domain, no other unit's inputs or outputs;
- the backend token may subscribe to its two wildcard filters and publish
  commands and Input node values; user tokens, bad tokens and anonymous are denied;
- client ids starting with ``BACKEND_CLIENT_PREFIX`` belong to the backend alone
  (a unit using one could take over the backend's persistent session).

When no action is sent (an EMQX configured by Pepeunit v1.2), a request is allowed
if either action would be. Decisions are cached in Redis under the current ACL
generation, so any edge, permission or unit change invalidates all of them at once.
"""
from __future__ import annotations

import hashlib
import logging
import time
import uuid as uuid_module

import jwt
import sqlalchemy as sa

from .. import outages
from ..broker import topics
from ..broker.identity import BACKEND_CLIENT_PREFIX
from ..extensions import db, get_redis, get_settings
from ..models import AgentType, Unit, UnitNodeTypeEnum
from . import acl_generation

log = logging.getLogger(__name__)

PUBLISH, SUBSCRIBE, CONNECT = "publish", "subscribe", "connect"
ACTIONS = (PUBLISH, SUBSCRIBE, CONNECT)
_CACHE_PREFIX = "pepeunit:mqtt:authz:"

_NODE_QUERY = sa.text(
    "SELECT n.type, n.unit_uuid, n.topic_name, EXISTS ("
    "  SELECT 1 FROM units_nodes_edges e JOIN units_nodes i ON i.uuid = e.node_input_uuid"
    "  WHERE e.node_output_uuid = n.uuid AND i.unit_uuid = CAST(:own AS uuid)) AS linked "
    "FROM units_nodes n WHERE n.uuid = CAST(:node AS uuid)"
)


_local: dict[str, tuple[bool, float]] = {}  # this process's decisions of the current generation
_local_generation: list = [None, 0.0]  # [generation, monotonic time it was read]
GENERATION_REFRESH = 0.2  # s a worker trusts the generation it read; bounds how late a bump is seen
_LOCAL_MAX = 100_000


def is_allowed(token: str | None, topic: str | None, action: str | None = None, clientid: str | None = None) -> bool:
    """The decision, from a cache when fresh; never raises on hostile input.

    Hot path: this process's dictionary, valid for the ACL generation read from Redis at
    most ``GENERATION_REFRESH`` s ago. Then the Redis cache shared by every worker, then
    the database. A bump is therefore seen by every worker within 0.2 s.
    """
    token, topic = token or "", topic or ""
    action = (action or "").lower() or None
    clientid = clientid or ""
    settings = get_settings()
    ttl = settings.PU_MQTT_AUTH_CACHE_SECONDS
    digest = hashlib.blake2b(
        "\0".join((token, topic, action or "", clientid)).encode("utf-8", "replace"), digest_size=20
    ).hexdigest()
    generation = None
    if ttl:
        try:
            generation = _generation()
            local = _local.get(digest)
            if local is not None and local[1] > time.monotonic():
                return local[0]
            cached = get_redis().get(f"{_CACHE_PREFIX}{generation.decode()}:{digest}")
            if cached is not None:
                return _remember(digest, cached == b"1", ttl)
        except Exception as exc:  # a Redis hiccup must not turn into a deny storm
            log.warning("auth cache unavailable: %s", exc)
            generation = None
    try:
        allowed = _decide(settings, token, topic, action, clientid)
    except Exception as error:
        dependency = outages.dependency_of(error)
        if dependency:  # PostgreSQL down: counted and logged once per outage, not a traceback per call
            outages.refused(dependency)
        else:
            log.exception("auth decision failed; denying")
        db.session.rollback()
        allowed = False
    if ttl and generation is not None:
        try:
            get_redis().set(f"{_CACHE_PREFIX}{generation.decode()}:{digest}", "1" if allowed else "0", ex=ttl)
            _remember(digest, allowed, ttl)
        except Exception as exc:
            log.warning("auth cache write failed: %s", exc)
    return allowed


def forget_local_decisions() -> None:
    """Drop this process's copies (tests that wipe Redis between cases need this)."""
    _local.clear()
    _local_generation[:] = [None, 0.0]


def _generation() -> bytes:
    now = time.monotonic()
    generation, read_at = _local_generation
    if generation is None or now - read_at > GENERATION_REFRESH:
        fresh = get_redis().get(acl_generation.KEY) or b"0"
        if fresh != generation:
            _local.clear()
        _local_generation[:] = [fresh, now]
        return fresh
    return generation


def _remember(digest: str, allowed: bool, ttl: int) -> bool:
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[digest] = (allowed, time.monotonic() + ttl)
    return allowed


def _claims(settings, token: str) -> dict | None:
    if not token or token.count(".") != 2:
        return None
    try:
        claims = jwt.decode(token, settings.PU_SECRET_KEY, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def _uuid(text) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(str(text))
    except ValueError:
        return None


def _decide(settings, token: str, topic: str, action: str | None, clientid: str) -> bool:
    if action is not None and action not in ACTIONS:
        return False
    claims = _claims(settings, token)
    if claims is None:
        return False
    kind = claims.get("type")
    if kind == AgentType.BACKEND.value:
        return claims.get("domain") == settings.PU_DOMAIN and _backend_may(settings, topic, action)
    if kind != AgentType.UNIT.value:
        return False  # users (and anything else) never use MQTT
    unit_uuid = _uuid(claims.get("uuid"))
    if unit_uuid is None or clientid.startswith(BACKEND_CLIENT_PREFIX):
        return False
    if action == CONNECT:
        return db.session.get(Unit, unit_uuid) is not None
    return _unit_may(settings, unit_uuid, topic, action)


def _wanted(action: str | None) -> tuple[str, ...]:
    return (PUBLISH, SUBSCRIBE) if action is None else (action,)


def _backend_may(settings, topic: str, action: str | None) -> bool:
    domain = settings.PU_DOMAIN
    if action == CONNECT:
        return True
    wanted = _wanted(action)
    if SUBSCRIBE in wanted and topic in (f"{domain}/+/+/+/pepeunit", f"{domain}/+/pepeunit"):
        return True
    if PUBLISH not in wanted or "+" in topic or "#" in topic:
        return False
    parsed = topics.parse(topic)
    if parsed is None or parsed.domain != domain:
        return False
    if parsed.kind == "base":
        return parsed.destination == topics.INPUT_BASE and _is_base_name(parsed.name)
    row = db.session.execute(_NODE_QUERY, {"node": str(parsed.node_uuid), "own": None}).first()
    return row is not None and _suffix_matches(row, parsed) and row.type == UnitNodeTypeEnum.INPUT.value


def _is_base_name(name: str | None) -> bool:
    word, _, suffix = (name or "").partition("/")
    return bool(word) and suffix == "pepeunit"


def _suffix_matches(row, parsed) -> bool:
    return parsed.node_suffix == row.topic_name.endswith(topics.SUFFIX)


def _unit_may(settings, unit_uuid: uuid_module.UUID, topic: str, action: str | None) -> bool:
    if "+" in topic or "#" in topic:
        return False
    parsed = topics.parse(topic)
    if parsed is None or parsed.domain != settings.PU_DOMAIN:
        return False
    wanted = _wanted(action)
    if parsed.kind == "base":
        if parsed.unit_uuid != unit_uuid or not _is_base_name(parsed.name):
            return False
        allowed_here = PUBLISH if parsed.destination == topics.OUTPUT_BASE else SUBSCRIBE
        return allowed_here in wanted and db.session.get(Unit, unit_uuid) is not None
    row = db.session.execute(_NODE_QUERY, {"node": str(parsed.node_uuid), "own": str(unit_uuid)}).first()
    if row is None or not _suffix_matches(row, parsed):
        return False
    own = row.unit_uuid == unit_uuid
    if PUBLISH in wanted and own and row.type == UnitNodeTypeEnum.OUTPUT.value:
        return True
    if SUBSCRIBE in wanted:
        if own and row.type == UnitNodeTypeEnum.INPUT.value:
            return True
        if row.type == UnitNodeTypeEnum.OUTPUT.value and row.linked:
            return True
    return False
