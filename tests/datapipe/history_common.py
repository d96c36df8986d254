"""What the ``test_history_*`` modules share: pipe configs, a node with a pipe, rows written straight
into the history tables, and reads over both doors."""
from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from pepeunit.extensions import db, get_settings
from pepeunit.models import (
    ActivePeriodType,
    AggregationFunctions,
    DataPipeAggregation,
    DataPipeNRecord,
    DataPipeTimeWindowRecord,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
    UnitNode,
    VisibilityLevel,
)
from pepeunit.models.columns import utcnow
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy
from tests import world
from tests.helpers import API, GRAPHQL, auth, gql

FLAG_OFF = "405: 15: Feature Flag Error: This feature has been disabled by the instance Owner"


def set_flag(app, monkeypatch, on: bool = True) -> None:
    monkeypatch.setitem(app.config, "PU_SETTINGS",
                        dataclasses.replace(app.config["PU_SETTINGS"], PU_FF_DATAPIPE_ENABLE=on))


def config(policy: ProcessingPolicyType, *, number: bool = False, n: int | None = None, size: int | None = None,
           function: AggregationFunctions | None = None, period=None, max_size: int = 100, max_rate: int = 0,
           **filters) -> PipeConfig:
    return PipeConfig(
        active_period=period or ActivePeriod(type=ActivePeriodType.PERMANENT),
        filters=Filters(type_input_value=TypeInputValue.NUMBER if number else TypeInputValue.TEXT,
                        max_rate=max_rate, max_size=max_size, **filters),
        processing_policy=ProcessingPolicy(policy_type=policy, n_records_count=n, time_window_size=size,
                                           aggregation_functions=function),
    )


def n_records(n: int = 5, **kw) -> PipeConfig:
    return config(ProcessingPolicyType.N_RECORDS, n=n, **kw)


def time_window(size: int = 300, **kw) -> PipeConfig:
    return config(ProcessingPolicyType.TIME_WINDOW, size=size, **kw)


def aggregation(size: int = 60, function=AggregationFunctions.AVG, **kw) -> PipeConfig:
    return config(ProcessingPolicyType.AGGREGATION, number=True, size=size, function=function, **kw)


# The configs of spec §9 (upstream tests/data/yaml/integra/), as the import checks see them.
SPEC9_AGGREGATION = aggregation(
    60, period=ActivePeriod(type=ActivePeriodType.PERMANENT), max_size=50,
    type_value_filtering=TypeValueFiltering.BLACK_LIST, filtering_values=(12.3, 432, 134.5234),
    type_value_threshold=TypeValueThreshold.RANGE, threshold_min=-60, threshold_max=1000000)
SPEC9_N_RECORDS = n_records(
    100, number=True, max_size=50,
    period=ActivePeriod(type=ActivePeriodType.FROM_DATE, start=datetime(2023, 11, 15, tzinfo=timezone.utc)),
    type_value_threshold=TypeValueThreshold.MIN, threshold_min=0)
SPEC9_TIME_WINDOW = time_window(
    300, max_size=150,
    period=ActivePeriod(type=ActivePeriodType.TO_DATE, end=datetime(2100, 11, 15, tzinfo=timezone.utc)))


@dataclasses.dataclass
class PipeNode:
    """A node with a pipe, its creator's and its unit's tokens, and a stranger user and unit."""

    uuid: str
    token: str            # the creator's
    unit_token: str       # the node's own unit
    other_token: str      # another user
    other_unit_token: str  # a unit of another user


def pipe_node(app, pipe: PipeConfig | None, visibility=VisibilityLevel.PUBLIC, *, active: bool = True) -> PipeNode:
    with app.app_context():
        settings = get_settings()
        owner, stranger = world.user(), world.user()
        unit = world.unit(owner, visibility=visibility, bare=True, grants=True)
        node = world.node(unit, visibility=visibility, grants=True)
        other_unit = world.unit(stranger, visibility=VisibilityLevel.PUBLIC, bare=True, grants=True)
        node.is_data_pipe_active = active
        node.data_pipe_yml = pipe.to_stored() if pipe else None
        db.session.commit()
        return PipeNode(str(node.uuid), world.user_token(owner, settings), world.unit_token(unit, settings),
                        world.user_token(stranger, settings), world.unit_token(other_unit, settings))


def set_pipe(app, node_uuid, pipe: PipeConfig | None) -> None:
    with app.app_context():
        db.session.get(UnitNode, node_uuid).data_pipe_yml = pipe.to_stored() if pipe else None
        db.session.commit()


def set_state(app, node_uuid, state: str | None) -> None:
    with app.app_context():
        db.session.get(UnitNode, node_uuid).state = state
        db.session.commit()


# --- rows straight into the tables (the pipeline's writes are another module's) --------------------
def add_n_records(app, node_uuid, states, start: datetime, step=timedelta(seconds=1), max_count: int = 5,
                  state_type=TypeInputValue.TEXT) -> list[datetime]:
    times = [start + i * step for i in range(len(states))]
    _insert(app, DataPipeNRecord, [
        {"unit_node_uuid": node_uuid, "state": s, "state_type": state_type, "create_datetime": t,
         "max_count": max_count, "size": len(s)} for s, t in zip(states, times, strict=True)])
    return times


def add_time_window(app, node_uuid, states, start: datetime, step=timedelta(seconds=1), size: int = 300,
                    expirations=None) -> list[datetime]:
    times = [start + i * step for i in range(len(states))]
    expirations = expirations or [t + timedelta(seconds=size) for t in times]
    _insert(app, DataPipeTimeWindowRecord, [
        {"unit_node_uuid": node_uuid, "state": s, "state_type": TypeInputValue.TEXT, "create_datetime": t,
         "expiration_datetime": e, "size": len(s)} for s, t, e in zip(states, times, expirations, strict=True)])
    return times


def add_aggregations(app, node_uuid, values, first_end: datetime, size: int = 60,
                     function=AggregationFunctions.AVG, lag=timedelta(seconds=3)) -> list[datetime]:
    ends = [first_end + timedelta(seconds=size * i) for i in range(len(values))]
    _insert(app, DataPipeAggregation, [
        {"unit_node_uuid": node_uuid, "state": v, "aggregation_type": function, "time_window_size": size,
         "create_datetime": end + lag, "start_window_datetime": end - timedelta(seconds=size),
         "end_window_datetime": end} for v, end in zip(values, ends, strict=True)])
    return ends


def _insert(app, model, rows) -> None:
    with app.app_context():
        db.session.execute(sa.insert(model.__table__), rows)
        db.session.commit()


def count_rows(app, model, node_uuid) -> int:
    with app.app_context():
        return db.session.execute(
            sa.select(sa.func.count()).select_from(model).where(model.unit_node_uuid == node_uuid)).scalar_one()


def minute_now() -> datetime:
    return utcnow().replace(second=0, microsecond=0)


# --- the doors --------------------------------------------------------------------------------------
def rest_read(client, token, node_uuid, type_: str, **params):
    return client.get(f"{API}/unit_nodes/get_data_pipe_data/", headers=auth(token),
                      query_string={"uuid": node_uuid, "type": type_, **params})


def rest_rows(client, token, node_uuid, type_: str, **params) -> tuple[int, list]:
    response = rest_read(client, token, node_uuid, type_, **params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return body["count"], body["pipe_data"]


PIPE_DATA_QUERY = """query($filters: DataPipeFilterInput!) { getPipeData(filters: $filters) { count pipeData {
  __typename
  ... on NRecordsType { unitNodeUuid state stateType createDatetime maxCount size }
  ... on TimeWindowType { unitNodeUuid state stateType createDatetime expirationDatetime size }
  ... on AggregationType { unitNodeUuid stateFloat: state aggregationType timeWindowSize createDatetime
                           startWindowDatetime }
  ... on LastValueType { unitNodeUuid state lastUpdateDatetime }
} } }"""


def gql_read(client, token, node_uuid, type_: str, **filters) -> dict:
    return gql(client, PIPE_DATA_QUERY, {"filters": {"uuid": node_uuid, "type": type_, **filters}}, token)


def gql_rows(client, token, node_uuid, type_: str, **filters) -> tuple[int, list]:
    body = gql_read(client, token, node_uuid, type_, **filters)
    assert not body.get("errors"), body
    result = body["data"]["getPipeData"]
    return result["count"], result["pipeData"]


def export_zip(client, token, node_uuid):
    return client.get(f"{API}/unit_nodes/get_data_pipe_data_csv/{node_uuid}", headers=auth(token))


def export_csv(client, token, node_uuid) -> tuple[str, str]:
    """(member name, CSV text) of an export."""
    response = export_zip(client, token, node_uuid)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        (name,) = bundle.namelist()
        return name, bundle.read(name).decode("utf-8")


def rest_import(client, token, node_uuid, data: bytes | str):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return client.post(f"{API}/unit_nodes/set_data_pipe_data_csv", headers=auth(token),
                       query_string={"uuid": node_uuid}, content_type="multipart/form-data",
                       data={"data": (io.BytesIO(raw), "data.csv")})


def gql_import(client, token, node_uuid, data: bytes | str) -> dict:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    operations = {"query": "mutation($uuid: UUID!, $file: Upload!) { setDataPipeDataCsv(uuid: $uuid, file: $file)"
                           " { isNone } }", "variables": {"uuid": node_uuid, "file": None}}
    response = client.post(GRAPHQL, headers=auth(token), content_type="multipart/form-data", data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
        "0": (io.BytesIO(raw), "data.csv")})
    assert response.status_code == 200, response.data
    return response.get_json()


def rest_delete(client, token, node_uuid):
    return client.delete(f"{API}/unit_nodes/delete_data_pipe_data/{node_uuid}", headers=auth(token))


def gql_delete(client, token, node_uuid) -> dict:
    return gql(client, "mutation($uuid: UUID!) { deleteDataPipeData(uuid: $uuid) { isNone } }",
               {"uuid": node_uuid}, token)


def fmt(moment: datetime) -> str:
    """A datetime as v1.2's CSV writes it."""
    return str(moment)
