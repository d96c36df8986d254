"""The schema.json of one unit, built from its validated ``schema_example.json``.

(Reading and validating the repository's contract files is ``unit_files``.)
``schema.json`` maps each schema name to the concrete MQTT topics of one unit:
base topics under ``{domain}/{input|output}_base_topic/{unit}/``, node topics
``{domain}/{node}[/pepeunit]``, inputs followed by the topics of the outputs
linked to them.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..broker import topics
from ..extensions import db
from ..models import UnitNode, UnitNodeEdge, UnitNodeTypeEnum

NODE_KEYS = {topics.INPUT_TOPIC: UnitNodeTypeEnum.INPUT, topics.OUTPUT_TOPIC: UnitNodeTypeEnum.OUTPUT}


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
