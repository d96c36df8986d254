"""A unit repository's contract files and the schema.json built from them.

- ``schema_example.json`` / ``env_example.json`` are read at a commit of the
  registry's clone and validated with Pepeunit v1.2's messages;
- ``schema.json`` maps each schema name to the concrete MQTT topics of one
  unit: base topics under ``{domain}/{input|output}_base_topic/{unit}/``, node
  topics ``{domain}/{node}[/pepeunit]``, inputs followed by the topics of the
  outputs linked to them.
"""
from __future__ import annotations

import json
import string

import sqlalchemy as sa

from ..errors import GitRepoError, JSONDecodeError_
from ..extensions import db
from ..git import LocalRepository
from ..models import UnitNode, UnitNodeEdge, UnitNodeTypeEnum
from ..mqtt import topics

SCHEMA_FILE = "schema_example.json"
ENV_FILE = "env_example.json"
TOPIC_SYMBOLS = string.ascii_lowercase + string.ascii_uppercase + string.digits + "/_-"
_TOPIC_SET = frozenset(TOPIC_SYMBOLS)
MAX_TOPIC_LENGTH = 65535 - 100
NODE_KEYS = {topics.INPUT_TOPIC: UnitNodeTypeEnum.INPUT, topics.OUTPUT_TOPIC: UnitNodeTypeEnum.OUTPUT}


def read_json_file(git: LocalRepository, commit: str, name: str):
    raw = git.read_file(commit, name) if git.exists() else None
    if raw is None:
        raise GitRepoError(f"File {name} not found in repo commit {commit}")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise JSONDecodeError_(f"Data {name} is invalid") from None


def validate_schema(schema) -> dict:
    """Full check of a ``schema_example.json`` (first failure wins, v1.2 order and texts)."""
    if not isinstance(schema, dict) or not all(key in schema for key in topics.SCHEMA_KEYS):
        raise GitRepoError("This schema file has unresolved IO and base IO keys")
    if not all(isinstance(value, list) for value in schema.values()):
        raise GitRepoError("This schema file has not available value types, only list is available")
    names = [name for value in schema.values() for name in value]
    if not all(isinstance(name, str) and name and set(name) <= _TOPIC_SET for name in names):
        raise GitRepoError(f"Topics in the schema use characters that are not allowed, allowed: {TOPIC_SYMBOLS}")
    longest = max((len(name) for name in names), default=0)
    if longest >= MAX_TOPIC_LENGTH:
        raise GitRepoError(f"The length {longest} of the topic title is too long, max: {MAX_TOPIC_LENGTH}")
    return schema


def read_schema_example(git: LocalRepository, commit: str) -> dict:
    return validate_schema(read_json_file(git, commit, SCHEMA_FILE))


def read_env_example(git: LocalRepository, commit: str) -> dict:
    env = read_json_file(git, commit, ENV_FILE)
    if not isinstance(env, dict):
        raise JSONDecodeError_(f"Data {ENV_FILE} is invalid")
    return env


def node_names(schema: dict) -> set[tuple[UnitNodeTypeEnum, str]]:
    """(type, topic name) of every node the schema asks for."""
    return {(kind, name) for key, kind in NODE_KEYS.items() for name in schema.get(key, [])}


def build_schema(domain: str, unit, schema: dict) -> dict:
    """schema.json of ``unit`` for a validated ``schema_example.json``.

    Names without a node (the nodes are re-synced on every version change, so
    this is transient) get an empty list rather than failing.
    """
    nodes = list(db.session.execute(sa.select(UnitNode).where(UnitNode.unit_uuid == unit.uuid)).scalars())
    by_name = {(n.type, n.topic_name): n for n in nodes}
    linked: dict = {}
    input_uuids = [n.uuid for n in nodes if n.type is UnitNodeTypeEnum.INPUT]
    if input_uuids:
        rows = db.session.execute(
            sa.select(UnitNodeEdge.node_input_uuid, UnitNode.uuid, UnitNode.topic_name)
            .join(UnitNode, UnitNode.uuid == UnitNodeEdge.node_output_uuid)
            .where(UnitNodeEdge.node_input_uuid.in_(input_uuids))
            .order_by(UnitNodeEdge.uuid)
        )
        for input_uuid, output_uuid, output_name in rows:
            linked.setdefault(input_uuid, []).append(topics.node_topic(domain, output_uuid, output_name))

    result: dict = {}
    for key, value in schema.items():
        if key in (topics.INPUT_BASE, topics.OUTPUT_BASE):
            result[key] = {name: [topics.base_topic(domain, key, unit.uuid, name)] for name in value}
        elif key in NODE_KEYS:
            entry = {}
            for name in value:
                node = by_name.get((NODE_KEYS[key], name))
                if node is None:
                    entry[name] = []
                    continue
                entry[name] = [topics.node_topic(domain, node.uuid, node.topic_name)]
                if key == topics.INPUT_TOPIC:
                    entry[name] += linked.get(node.uuid, [])
            result[key] = entry
        else:
            result[key] = {}
    return result
