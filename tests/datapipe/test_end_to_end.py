"""DataPipe end to end: a unit with its own token publishes to its ``/pepeunit`` nodes through the
dev broker (which asks our hook), the backend under gunicorn runs each node's pipe in its consumer,
and the user reads the results back over GraphQL and REST."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import pytest
import requests

from pepeunit.extensions import db
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.services.datapipe.postgres_store import STORE

from .. import world
from ..broker.test_devbroker import Client
from ..helpers import make_test_environ, wait_until
from ..processes import backend_with_dev_broker

N_RECORDS = """
active_period: {type: Permanent}
filters:
  type_input_value: Number
  type_value_threshold: Min
  threshold_min: 0
  max_rate: 0
  max_size: 50
transformations: {multiplication_ratio: 2, round_decimal_point: 1}
processing_policy: {policy_type: NRecords, n_records_count: 3}
"""
TIME_WINDOW = """
active_period: {type: ToDate, end: 2100-11-15T00:00:00Z}
filters: {type_input_value: Text, max_rate: 0, max_size: 150}
transformations: {slice_start: 0, slice_end: 3}
processing_policy: {policy_type: TimeWindow, time_window_size: 300}
"""
LAST_VALUE = """
active_period: {type: DateRange, start: 2023-11-15T00:00:00Z, end: 2100-11-15T00:00:00Z}
filters:
  type_input_value: Text
  type_value_filtering: BlackList
  filtering_values: [bad]
  max_rate: 0
  last_unique_check: true
  max_size: 50
processing_policy: {policy_type: LastValue}
"""
AGGREGATION = """
active_period: {type: Permanent}
filters: {type_input_value: Number, max_rate: 0, max_size: 50}
processing_policy: {policy_type: Aggregation, time_window_size: 60, aggregation_functions: Sum}
"""

READ = """query($uuid: UUID!, $type: ProcessingPolicyType!) {
  getPipeData(filters: {uuid: $uuid, type: $type}) {
    count
    pipeData {
      __typename
      ... on NRecordsType { state stateType maxCount size }
      ... on TimeWindowType { state stateType expirationDatetime }
      ... on LastValueType { state }
      ... on AggregationType { aggregateValue: state aggregationType timeWindowSize startWindowDatetime }
    }
  }
}"""


class Backend:
    """The backend's REST and GraphQL doors over HTTP, as a user's browser calls them."""

    def __init__(self, url: str, token: str):
        self.api, self.graphql, self.headers = f"{url}/pepeunit/api/v1", f"{url}/pepeunit/graphql", {"x-auth-token": token}

    def activate(self, node_uuid) -> None:
        response = requests.patch(f"{self.api}/unit_nodes/{node_uuid}", json={"is_data_pipe_active": True},
                                  headers=self.headers, timeout=30)
        assert response.status_code == 200 and response.json()["is_data_pipe_active"], response.text

    def set_config_rest(self, node_uuid, text: str) -> None:
        response = requests.post(f"{self.api}/unit_nodes/set_data_pipe_config", params={"uuid": node_uuid},
                                 files={"data": ("pipe.yaml", text.encode())}, headers=self.headers, timeout=30)
        assert response.status_code == 204, response.text

    def query(self, document: str, variables: dict, files: dict | None = None) -> dict:
        if files:
            operations = {"query": document, "variables": {**variables, **{name: None for name in files}}}
            form = {"operations": json.dumps(operations),
                    "map": json.dumps({str(i): [f"variables.{name}"] for i, name in enumerate(files)})}
            uploads = {str(i): (f"{name}.yaml", data) for i, (name, data) in enumerate(files.items())}
            response = requests.post(self.graphql, data=form, files=uploads, headers=self.headers, timeout=30)
        else:
            response = requests.post(self.graphql, json={"query": document, "variables": variables},
                                     headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def set_config_graphql(self, node_uuid, text: str) -> None:
        done = self.query("mutation($uuid: UUID!, $file: Upload!) { setDataPipeConfig(uuid: $uuid, file: $file) "
                          "{ isNone } }", {"uuid": str(node_uuid)}, files={"file": text.encode()})
        assert done["setDataPipeConfig"]["isNone"]

    def read_graphql(self, node_uuid, type_name: str) -> dict:
        return self.query(READ, {"uuid": str(node_uuid), "type": type_name})["getPipeData"]

    def read_rest(self, node_uuid, policy: str) -> dict:
        response = requests.get(f"{self.api}/unit_nodes/get_data_pipe_data/", params={"uuid": node_uuid, "type": policy},
                                headers=self.headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def stack(app, database_url, redis_url):
    environ = make_test_environ(database_url, redis_url, PU_FF_DATAPIPE_ENABLE="true")
    with backend_with_dev_broker(environ) as (port, server):
        yield port, server


def test_each_policy_from_a_unit_to_both_doors(app, settings, stack):
    port, server = stack
    with app.app_context():
        owner = world.user(bare=True)
        unit = world.unit(owner, bare=True)
        nodes = {name: world.node(unit, T.OUTPUT, f"{name}/pepeunit") for name in ("n", "w", "l", "a")}
        db.session.commit()
        uuids = {name: node.uuid for name, node in nodes.items()}
        unit_token, user_token, unit_uuid = world.unit_token(unit, settings), world.user_token(owner, settings), unit.uuid
    backend = Backend(server.url, user_token)
    for name in uuids.values():
        backend.activate(name)
    backend.set_config_rest(uuids["n"], N_RECORDS)
    backend.set_config_graphql(uuids["w"], TIME_WINDOW)
    backend.set_config_rest(uuids["l"], LAST_VALUE)
    backend.set_config_graphql(uuids["a"], AGGREGATION)
    shown = backend.query("query($uuid: UUID!) { getDataPipeConfig(uuid: $uuid) }", {"uuid": str(uuids["n"])})
    assert "policy_type: NRecords" in shown["getDataPipeConfig"]

    assert wait_until(lambda: "MQTT subscribed" in server.output(), 30), server.output()
    # The device stays connected while we read back: the dev broker (amqtt) drops publishes it has
    # acknowledged but not yet routed when their sender disconnects; a real unit stays connected.
    device = Client(port, unit_token, str(unit_uuid))
    try:
        _publish_and_read_back(app, settings, server, backend, device, uuids)
    finally:
        device.close()


def _publish_and_read_back(app, settings, server, backend, device, uuids):
    assert not device.reason.is_failure
    sent = {
        "n": ["1", "-5", "2", "abc", "3", "4"],  # -5 below the minimum, abc not a number
        "w": ["hello", "world"],
        "a": ["1", "2", "3.5", "many"],  # not a number: dropped
        "l": ["x", "x", "bad", "y"],  # the repeated x and the blacklisted value are dropped; sent last (below)
    }
    for name, values in sent.items():
        for value in values:
            device.publish(f"{settings.PU_DOMAIN}/{uuids[name]}/pepeunit", value)

    def n_records():
        return backend.read_graphql(uuids["n"], "N_RECORDS")

    assert wait_until(lambda: [r["state"] for r in n_records()["pipeData"]] == ["8.0", "6.0", "4.0"], 30), \
        (n_records(), server.output())
    first = n_records()
    assert first["count"] == 3
    assert {(r["__typename"], r["stateType"], r["maxCount"]) for r in first["pipeData"]} == {("NRecordsType", "NUMBER", 3)}
    rest_n = backend.read_rest(uuids["n"], "NRecords")
    assert rest_n["count"] == 3 and [r["state"] for r in rest_n["pipe_data"]] == ["8.0", "6.0", "4.0"]

    assert wait_until(lambda: backend.read_graphql(uuids["w"], "TIME_WINDOW")["count"] == 2, 30), server.output()
    window = backend.read_rest(uuids["w"], "TimeWindow")
    assert sorted(r["state"] for r in window["pipe_data"]) == ["hel", "wor"]
    assert {r["state_type"] for r in window["pipe_data"]} == {"Text"}

    assert wait_until(lambda: backend.read_graphql(uuids["l"], "LAST_VALUE")["pipeData"][0]["state"] == "y", 30)
    assert backend.read_rest(uuids["l"], "LastValue")["pipe_data"][0]["state"] == "y"

    # "l" was sent last by the same client: once its "y" is stored, every "a" value before it was consumed
    # (one publisher, QoS 1, one consumer: in order). The aggregation window closes at its UTC minute
    # boundary; close it now instead of waiting.
    with app.app_context():
        STORE.close_windows(datetime(2100, 1, 1))
        db.session.commit()
    aggregated = backend.read_graphql(uuids["a"], "AGGREGATION")
    assert aggregated["count"] >= 1
    assert sum(r["aggregateValue"] for r in aggregated["pipeData"]) == 6.5
    assert {(r["aggregationType"], r["timeWindowSize"]) for r in aggregated["pipeData"]} == {("SUM", 60)}
    starts = [datetime.fromisoformat(r["startWindowDatetime"]) for r in aggregated["pipeData"]]
    assert all(start.second == 0 and start.microsecond == 0 for start in starts)  # UTC-minute aligned

    export = requests.get(f"{backend.api}/unit_nodes/get_data_pipe_data_csv/{uuids['n']}", headers=backend.headers,
                          timeout=30)
    assert export.status_code == 200, export.text
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        (member,) = archive.namelist()
        rows = archive.read(member).decode().splitlines()
    assert rows[0].startswith("unit_node_uuid,state,state_type,create_datetime") and len(rows) == 4

    deleted = requests.delete(f"{backend.api}/unit_nodes/delete_data_pipe_data/{uuids['n']}", headers=backend.headers,
                              timeout=30)
    assert deleted.status_code == 204, deleted.text
    assert backend.read_rest(uuids["n"], "NRecords") == {"count": 0, "pipe_data": []}

