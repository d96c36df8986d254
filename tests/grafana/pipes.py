"""A user's world for the Grafana tests: one unit whose nodes run each kind of pipe, with stored data.

Rows are written straight into the history tables (what the consumer would have stored), so the
datasource and the column probe read real rows through the real readers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from pepeunit.extensions import db
from pepeunit.models import (
    AggregationFunctions,
    DataPipeAggregation,
    DataPipeNRecord,
    DataPipeTimeWindowRecord,
    ProcessingPolicyType,
    TypeInputValue,
    UnitNode,
    UnitNodeTypeEnum,
)
from pepeunit.models.columns import utcnow
from tests import world
from tests.datapipe.history_common import aggregation, config, n_records, time_window

LAST_VALUE_STATE = {"one": 5, "two": 10, "three": 20, "label": "x", "nested": {"a": 1}}


@dataclass
class PanelWorld:
    owner: str                 # uuid
    owner_token: str
    stranger: str
    stranger_token: str
    unit_name: str
    nodes: dict                # kind -> node uuid (text)
    stranger_node: str
    base_time: object          # naive UTC of the oldest NRecords row


def _with_pipe(node: UnitNode, pipe) -> UnitNode:
    node.is_data_pipe_active = True
    node.data_pipe_yml = pipe.to_stored()
    return node


def build_panel_world(settings) -> PanelWorld:
    owner, stranger = world.user(), world.user()
    unit = world.unit(owner, bare=True, grants=True, name=world.short("meteo"))
    now = utcnow().replace(microsecond=0)
    numbers = _with_pipe(world.node(unit, topic="temp/pepeunit"), n_records(5, number=True))
    text = _with_pipe(world.node(unit, topic="events/pepeunit"), time_window(300))
    last = _with_pipe(world.node(unit, UnitNodeTypeEnum.INPUT, "state/pepeunit"),
                      config(ProcessingPolicyType.LAST_VALUE))
    averages = _with_pipe(world.node(unit, topic="avg/pepeunit"), aggregation(60, AggregationFunctions.AVG))
    empty = _with_pipe(world.node(unit, topic="empty/pepeunit"), n_records(5))
    inactive = world.node(unit, topic="off/pepeunit")
    last.state, last.last_update_datetime = json.dumps(LAST_VALUE_STATE), now
    base = now - timedelta(minutes=3)
    for i, state in enumerate(["1.5", "2.5", "3"]):
        db.session.add(DataPipeNRecord(unit_node_uuid=numbers.uuid, state=state, state_type=TypeInputValue.NUMBER,
                                       create_datetime=base + timedelta(minutes=i), max_count=5, size=len(state)))
    for i, level in enumerate(["info", "error"]):
        state = json.dumps({"level": level, "TitleMessage": f"Test Info {i}", "nested": [1]})
        db.session.add(DataPipeTimeWindowRecord(
            unit_node_uuid=text.uuid, state=state, state_type=TypeInputValue.TEXT,
            create_datetime=now - timedelta(seconds=60 - i), expiration_datetime=now + timedelta(seconds=240),
            size=len(state)))
    for i in range(2):
        end = now - timedelta(minutes=2 - i)
        db.session.add(DataPipeAggregation(
            unit_node_uuid=averages.uuid, state=10.0 + i, aggregation_type=AggregationFunctions.AVG,
            time_window_size=60, create_datetime=end, start_window_datetime=end - timedelta(seconds=60),
            end_window_datetime=end))
    foreign_unit = world.unit(stranger, bare=True, grants=True)
    foreign = _with_pipe(world.node(foreign_unit, topic="temp/pepeunit"), n_records(5, number=True))
    db.session.flush()
    return PanelWorld(
        owner=str(owner.uuid), owner_token=world.user_token(owner, settings),
        stranger=str(stranger.uuid), stranger_token=world.user_token(stranger, settings),
        unit_name=unit.name,
        nodes={"numbers": str(numbers.uuid), "text": str(text.uuid), "last": str(last.uuid),
               "averages": str(averages.uuid), "empty": str(empty.uuid), "inactive": str(inactive.uuid)},
        stranger_node=str(foreign.uuid), base_time=base)
