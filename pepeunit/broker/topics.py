"""Topic grammar of the Pepeunit unit protocol (v1.2), built and parsed in one place.

- base topics: ``{domain}/{input_base_topic|output_base_topic}/{unit uuid}/{name}``
  where ``name`` is a schema name such as ``state/pepeunit``;
- node topics: ``{domain}/{node uuid}`` plus ``/pepeunit`` when the node's
  topic name ends with ``/pepeunit``.
"""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass

SUFFIX = "/pepeunit"
INPUT_BASE = "input_base_topic"
OUTPUT_BASE = "output_base_topic"
INPUT_TOPIC = "input_topic"
OUTPUT_TOPIC = "output_topic"
SCHEMA_KEYS = (INPUT_BASE, OUTPUT_BASE, INPUT_TOPIC, OUTPUT_TOPIC)
COMMAND_TOPICS = {  # BackendTopicCommand value -> input base topic name
    "Update": "update" + SUFFIX,
    "EnvUpdate": "env_update" + SUFFIX,
    "SchemaUpdate": "schema_update" + SUFFIX,
    "LogSync": "log_sync" + SUFFIX,
}
STATE = "state" + SUFFIX
LOG = "log" + SUFFIX


def base_topic(domain: str, destination: str, unit_uuid, name: str) -> str:
    return f"{domain}/{destination}/{unit_uuid}/{name}"


def node_topic(domain: str, node_uuid, topic_name: str) -> str:
    return f"{domain}/{node_uuid}" + (SUFFIX if topic_name.endswith(SUFFIX) else "")


@dataclass(frozen=True)
class ParsedTopic:
    kind: str  # "base" or "node"
    domain: str
    destination: str | None = None
    unit_uuid: uuid_module.UUID | None = None
    name: str | None = None
    node_uuid: uuid_module.UUID | None = None
    node_suffix: bool = False


def _uuid(text: str) -> uuid_module.UUID | None:
    try:
        return uuid_module.UUID(text)
    except ValueError:
        return None


def parse(topic: str) -> ParsedTopic | None:
    """Classify a concrete topic; ``None`` when it fits neither family."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[1] in (INPUT_BASE, OUTPUT_BASE):
        unit = _uuid(parts[2])
        if unit is None:
            return None
        return ParsedTopic("base", parts[0], parts[1], unit, "/".join(parts[3:]))
    if len(parts) in (2, 3):
        node = _uuid(parts[1])
        if node is None or (len(parts) == 3 and parts[2] != "pepeunit"):
            return None
        return ParsedTopic("node", parts[0], node_uuid=node, node_suffix=len(parts) == 3)
    return None
