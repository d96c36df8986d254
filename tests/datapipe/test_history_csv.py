"""CSV export (zip), CSV import (atomic, row-numbered refusals), and delete of a node's pipe history."""
from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from pepeunit.extensions import db
from pepeunit.models import (
    ActivePeriodType,
    AggregationFunctions,
    DataPipeAggregation,
    DataPipeNodeState,
    DataPipeNRecord,
    DataPipeOpenWindow,
    DataPipeTimeWindowRecord,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
    Unit,
    UnitNode,
)
from pepeunit.models.columns import utcnow
from pepeunit.services.datapipe import history_csv
from pepeunit.services.datapipe.pipe_config import ActivePeriod
from pepeunit.services.unit_nodes import sync_nodes
from tests.datapipe.history_common import (
    SPEC9_AGGREGATION,
    SPEC9_N_RECORDS,
    SPEC9_TIME_WINDOW,
    add_aggregations,
    add_n_records,
    add_time_window,
    aggregation,
    config,
    count_rows,
    export_csv,
    export_zip,
    fmt,
    gql_delete,
    gql_import,
    gql_rows,
    minute_now,
    n_records,
    pipe_node,
    rest_delete,
    rest_import,
    rest_rows,
    set_flag,
    set_state,
    time_window,
)
from tests.helpers import gql_error

PREFIX = "422: 8: DataPipe Validation Error: "


@pytest.fixture(autouse=True)
def datapipe_on(app, monkeypatch):
    set_flag(app, monkeypatch)


def detail(response) -> str:
    assert response.status_code == 422, (response.status_code, response.data)
    return response.get_json()["detail"]


# --- export ------------------------------------------------------------------------------------
def test_export_n_records_csv_format(app, client):
    node = pipe_node(app, n_records(5))
    start = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    add_n_records(app, node.uuid, ["old", "a,b", "x"], start - timedelta(minutes=1), step=timedelta(seconds=0))
    add_n_records(app, node.uuid, ["1.5", 'say "hi"', "b", "c"], start, step=timedelta(microseconds=250))
    name, text = export_csv(client, node.token, node.uuid)
    assert re.fullmatch(r"dp_data_[0-9a-f-]{36}\.csv", name)
    lines = text.split("\r\n")
    assert lines[0] == "unit_node_uuid,state,state_type,create_datetime,max_count,size"
    # the newest five, oldest first; datetimes with .ffffff only when there are microseconds
    assert lines[1:] == [
        f"{node.uuid},x,Text,{start - timedelta(minutes=1):%Y-%m-%d %H:%M:%S},5,1",
        f"{node.uuid},1.5,Text,{start:%Y-%m-%d %H:%M:%S},5,3",
        f'{node.uuid},"say ""hi""",Text,{start:%Y-%m-%d %H:%M:%S}.000250,5,8',
        f"{node.uuid},b,Text,{start:%Y-%m-%d %H:%M:%S}.000500,5,1",
        f"{node.uuid},c,Text,{start:%Y-%m-%d %H:%M:%S}.000750,5,1",
        "",
    ]


def test_export_aggregation_and_time_window_headers(app, client):
    node = pipe_node(app, aggregation(60))
    first_end = minute_now() - timedelta(minutes=30)
    add_aggregations(app, node.uuid, [0.1, 1 / 3], first_end)
    _, text = export_csv(client, node.token, node.uuid)
    lines = text.split("\r\n")
    assert lines[0] == ("unit_node_uuid,state,aggregation_type,time_window_size,create_datetime,"
                        "start_window_datetime,end_window_datetime")
    end = first_end + timedelta(minutes=1)
    assert lines[2] == (f"{node.uuid},0.3333333333333333,Avg,60,{fmt(end + timedelta(seconds=3))},"
                        f"{fmt(end - timedelta(minutes=1))},{fmt(end)}")
    other = pipe_node(app, time_window(300))
    add_time_window(app, other.uuid, ["t"], utcnow().replace(microsecond=0) - timedelta(seconds=10))
    assert export_csv(client, other.token, other.uuid)[1].startswith(
        "unit_node_uuid,state,state_type,create_datetime,expiration_datetime,size\r\n")


def test_export_preconditions(app, client):
    empty = pipe_node(app, n_records(5))
    assert detail(export_zip(client, empty.token, empty.uuid)) == PREFIX + "No data found"
    inactive = pipe_node(app, n_records(5), active=False)
    assert detail(export_zip(client, inactive.token, inactive.uuid)) == PREFIX + "Data pipe is not active"
    unfilled = pipe_node(app, None)
    assert detail(export_zip(client, unfilled.token, unfilled.uuid)) == PREFIX + "Data pipe is not filled"
    last_value = pipe_node(app, config(ProcessingPolicyType.LAST_VALUE))
    assert detail(export_zip(client, last_value.token, last_value.uuid)) == \
        PREFIX + "LastValue type is not supported on this function"
    assert detail(rest_import(client, last_value.token, last_value.uuid, "create_datetime,state\r\n")) == \
        PREFIX + "LastValue type is not supported on this function"


# --- import the export back ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["NRecords", "TimeWindow", "Aggregation"])
def test_import_of_the_export_gives_identical_reads(app, client, kind):
    now = utcnow()
    if kind == "NRecords":
        node = pipe_node(app, n_records(5, number=True))
        add_n_records(app, node.uuid, ["5", "1.25", "-3", "1e3", "7", "8", "9"], now - timedelta(minutes=5),
                      step=timedelta(seconds=1, microseconds=123456), state_type=TypeInputValue.NUMBER)
        gql_type = "N_RECORDS"
    elif kind == "TimeWindow":
        node = pipe_node(app, time_window(300))
        add_time_window(app, node.uuid, ["a", "b", 'c "q", d'], now - timedelta(seconds=100),
                        step=timedelta(seconds=7, microseconds=5))
        gql_type = "TIME_WINDOW"
    else:
        node = pipe_node(app, aggregation(300, AggregationFunctions.SUM))
        add_aggregations(app, node.uuid, [0.1, 1 / 3, -2.5e-7, 1e20], minute_now() - timedelta(hours=3), size=300,
                         function=AggregationFunctions.SUM)
        gql_type = "AGGREGATION"
    before_rest = rest_rows(client, node.token, node.uuid, kind)
    before_gql = gql_rows(client, node.token, node.uuid, gql_type)
    _, text = export_csv(client, node.token, node.uuid)
    response = rest_import(client, node.token, node.uuid, text)
    assert response.status_code == 204, response.get_json()
    assert rest_rows(client, node.token, node.uuid, kind) == before_rest
    assert gql_rows(client, node.token, node.uuid, gql_type) == before_gql
    assert export_csv(client, node.token, node.uuid)[1] == text
    # GraphQL's setDataPipeDataCsv does the same
    assert gql_import(client, node.token, node.uuid, text) == {"data": {"setDataPipeDataCsv": {"isNone": True}}}
    assert rest_rows(client, node.token, node.uuid, kind) == before_rest


def test_import_keeps_number_text_and_accepts_iso_datetimes(app, client):
    node = pipe_node(app, n_records(10, number=True))
    base = utcnow().replace(microsecond=0) - timedelta(hours=1)
    csv_text = ("state,create_datetime,ignored\r\n"
                f"5,{base:%Y-%m-%d %H:%M:%S},x\r\n"
                f"6.50,{base:%Y-%m-%dT%H:%M:%S}.5,y\r\n"
                f"7,{base + timedelta(seconds=2):%Y-%m-%dT%H:%M:%S}Z\r\n"
                f"8,{base + timedelta(hours=1, seconds=3):%Y-%m-%dT%H:%M:%S}+01:00\r\n")
    assert rest_import(client, node.token, node.uuid, csv_text).status_code == 204
    count, rows = rest_rows(client, node.token, node.uuid, "NRecords", order_by_create_date="asc")
    assert [r["state"] for r in rows] == ["5", "6.50", "7", "8"]  # the text as sent (v1.2: "5.0")
    assert [r["create_datetime"] for r in rows] == [
        base.isoformat(), (base + timedelta(microseconds=500000)).isoformat(),
        (base + timedelta(seconds=2)).isoformat(), (base + timedelta(seconds=3)).isoformat()]
    assert {(r["max_count"], r["state_type"]) for r in rows} == {(10, "Number")}


def test_max_size_zero_is_no_limit_and_sizes_are_bytes(app, client):
    """As for live values: 0 means no limit, and the size counts UTF-8 bytes (v1.2 refused every
    row under max_size 0 and counted characters, Q10)."""
    base = utcnow().replace(microsecond=0) - timedelta(hours=1)
    unlimited = pipe_node(app, n_records(10, max_size=0))
    assert rest_import(client, unlimited.token, unlimited.uuid,
                       f"create_datetime,state\r\n{base:%Y-%m-%d %H:%M:%S},{'x' * 500}\r\n").status_code == 204
    four_bytes = pipe_node(app, n_records(10, max_size=4))
    refused = rest_import(client, four_bytes.token, four_bytes.uuid,
                          f"create_datetime,state\r\n{base:%Y-%m-%d %H:%M:%S},ééé\r\n")  # 3 characters, 6 bytes
    assert detail(refused) == PREFIX + "Row 1: length state > max_size"


# --- refused imports keep the old data ------------------------------------------------------------
def _refusals(base):
    t = [f"{base + timedelta(seconds=i):%Y-%m-%d %H:%M:%S}" for i in range(5)]
    return [
        ("state\r\n1\r\n", "CSV header lacks the column(s): create_datetime"),
        ("", "CSV header lacks the column(s): create_datetime, state"),
        (f"create_datetime,state\r\n{t[1]},1\r\n{t[0]},2\r\n", "Row 2: create_datetime < previous_create_datetime"),
        (f"create_datetime,state\r\n{t[0]},1\r\n2025-13-01 00:00:00,2\r\n",
         "Row 2: create_datetime '2025-13-01 00:00:00' is not a datetime, expected YYYY-MM-DD HH:MM:SS[.ffffff]"),
        (f"create_datetime,state\r\n{t[0]}.5.5,1\r\n", f"Row 1: create_datetime '{t[0]}.5.5' is not a datetime"),
        (f"create_datetime,state\r\n{t[0]},1\r\n{t[1]},\"12,5\"\r\n", "Row 2: state is not a valid python float"),
        (f"create_datetime,state\r\n{t[0]}\r\n", "Row 1: state is missing"),
        (f"create_datetime,state\r\n{t[0]},-1\r\n", "Row 1: state < threshold_min"),
        (f"create_datetime,state\r\n{t[0]},3\r\n", "Row 1: state in blacklist"),
        (f"create_datetime,state\r\n{t[0]},123456789012\r\n", "Row 1: length state > max_size"),
        ("create_datetime,state\r\n" + "".join(f"{t[0]},{i}\r\n" for i in range(4, 15)),
         "For NRecords: number of records exceeds limit n_records_count"),
        (b"create_datetime,state\r\n\xff\xfe,1\r\n", "CSV file is not valid UTF-8"),
    ]


def test_refused_imports_name_the_row_and_keep_the_old_data(app, client):
    pipe = n_records(10, number=True, max_size=10, type_value_filtering=TypeValueFiltering.BLACK_LIST,
                     filtering_values=(3,), type_value_threshold=TypeValueThreshold.MIN, threshold_min=0)
    node = pipe_node(app, pipe)
    add_n_records(app, node.uuid, ["1", "2", "4"], utcnow() - timedelta(minutes=3), max_count=10)
    before = rest_rows(client, node.token, node.uuid, "NRecords")
    base = utcnow().replace(microsecond=0) - timedelta(hours=1)
    for data, message in _refusals(base):
        response = rest_import(client, node.token, node.uuid, data)
        assert detail(response).startswith(PREFIX + message), (data, response.get_json())
        assert rest_rows(client, node.token, node.uuid, "NRecords") == before, data
    # GraphQL answers the same text
    body = gql_import(client, node.token, node.uuid, f"create_datetime,state\r\n{base}, x\r\n")
    assert gql_error(body) == PREFIX + "Row 1: state is not a valid python float"
    assert rest_rows(client, node.token, node.uuid, "NRecords") == before


def test_refused_rate_uniqueness_and_size_limit(app, client, monkeypatch):
    node = pipe_node(app, time_window(300, max_rate=10, last_unique_check=True))
    now = utcnow().replace(microsecond=0)
    add_time_window(app, node.uuid, ["kept"], now - timedelta(seconds=30))
    before = rest_rows(client, node.token, node.uuid, "TimeWindow")
    t = [fmt(now - timedelta(seconds=s)) for s in (100, 95, 80, 70, 400)]
    cases = [
        (f"create_datetime,state\r\n{t[0]},a\r\n{t[1]},b\r\n",
         "Row 2: the time difference between the previous entry and the current one, less than max_rate"),
        (f"create_datetime,state\r\n{t[0]},a\r\n{t[2]},b\r\n{t[3]},b\r\n",
         "Row 3: previous_state is identical current state"),
        (f"create_datetime,state\r\n{t[4]},a\r\n",
         "Row 1: For TimeWindow: create_datetime is outside the range of valid values from time_window_size"),
    ]
    for data, message in cases:
        assert detail(rest_import(client, node.token, node.uuid, data)) == PREFIX + message
    monkeypatch.setattr(history_csv, "CSV_MAX_BYTES", 64)
    big = "create_datetime,state\r\n" + f"{t[0]},{'x' * 60}\r\n"
    assert detail(rest_import(client, node.token, node.uuid, big)) == \
        PREFIX + f"CSV file is {len(big)} bytes, the limit is 64 bytes"
    assert rest_rows(client, node.token, node.uuid, "TimeWindow") == before


def test_refused_aggregation_rows(app, client):
    node = pipe_node(app, aggregation(60))
    add_aggregations(app, node.uuid, [1.0], minute_now() - timedelta(hours=2))
    before = rest_rows(client, node.token, node.uuid, "Aggregation")
    end = minute_now() - timedelta(hours=1)

    def line(e, start=None, create=None, state="1.5"):
        return f"{fmt(create or e)},{state},{fmt(start or e - timedelta(minutes=1))},{fmt(e)}\r\n"

    head = "create_datetime,state,start_window_datetime,end_window_datetime\r\n"
    minute = timedelta(minutes=1)
    cases = [
        ("create_datetime,state,end_window_datetime\r\n", "CSV header lacks the column(s): start_window_datetime"),
        (head + line(end + timedelta(seconds=5)), "Row 1: For Aggregation: start_window_datetime or "
                                                   "end_window_datetime have seconds"),
        (head + line(end, start=end + minute), "Row 1: For Aggregation: end_window_datetime < start_window_datetime"),
        (head + line(end, create=end + minute), "Row 1: For Aggregation: The difference between create_datetime "
                                                 "and end_window_datetime is greater than the minimum "
                                                 "time_window_sizes"),
        (head + line(end, start=end - 2 * minute), "Row 1: For Aggregation: config time_window_size is not 120.0 "
                                                    "end_window_datetime - start_window_datetime"),
        (head + line(end) + line(end + minute, start=end - timedelta(seconds=30) + minute,
                                 create=end + minute + timedelta(seconds=30)),
         "Row 2: For Aggregation: start_window_datetime or end_window_datetime have seconds"),
        (head + line(end) + line(end), "Row 2: For Aggregation: the window starting at start_window_datetime is "
                                       "already in the file"),
        (head + line(end, state="nan?"), "Row 1: state is not a valid python float"),
    ]
    for data, message in cases:
        assert detail(rest_import(client, node.token, node.uuid, data)) == PREFIX + message, data
    assert rest_rows(client, node.token, node.uuid, "Aggregation") == before
    assert rest_import(client, node.token, node.uuid, head + line(end) + line(end + 3 * minute)).status_code == 204
    assert rest_rows(client, node.token, node.uuid, "Aggregation")[0] == 2


def test_active_period_checks(app, client):
    start, end = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 12, 31, tzinfo=timezone.utc)
    for period, moment, message in (
        (ActivePeriod(type=ActivePeriodType.FROM_DATE, start=start), "2023-12-31 23:59:59",
         "outside the start of the active period"),
        (ActivePeriod(type=ActivePeriodType.TO_DATE, end=end), "2024-12-31 00:00:01",
         "outside the end of the active period"),
        (ActivePeriod(type=ActivePeriodType.DATE_RANGE, start=start, end=end), "2025-01-01 00:00:00",
         "outside the start or end of the active period"),
    ):
        node = pipe_node(app, n_records(5, period=period))
        assert detail(rest_import(client, node.token, node.uuid, f"create_datetime,state\r\n{moment},a\r\n")) == \
            PREFIX + f"Row 1: create_datetime is {message}"
        ok = rest_import(client, node.token, node.uuid, "create_datetime,state\r\n2024-01-01 00:00:00,a\r\n"
                                                        "2024-12-31 00:00:00,b\r\n")
        assert ok.status_code == 204


# --- spec §9 test 8 order 3: these imports must pass ---------------------------------------------------
def test_spec9_imports_pass(app, client):
    rng = random.Random(8)
    now = minute_now()
    agg = pipe_node(app, SPEC9_AGGREGATION)
    lines = ["create_datetime,state,start_window_datetime,end_window_datetime"]
    for i in reversed(range(2000)):
        end = now - timedelta(minutes=i)
        lines.append(f"{fmt(end)},{round(rng.uniform(-20, 10), 2)},{fmt(end - timedelta(seconds=60))},{fmt(end)}")
    assert rest_import(client, agg.token, agg.uuid, "\r\n".join(lines) + "\r\n").status_code == 204
    assert rest_rows(client, agg.token, agg.uuid, "Aggregation", limit=1)[0] == 2000

    nrec = pipe_node(app, SPEC9_N_RECORDS)
    lines = ["create_datetime,state"] + [f"{fmt(now - timedelta(hours=i))},{rng.uniform(1, 10)}"
                                         for i in reversed(range(100))]
    assert gql_import(client, nrec.token, nrec.uuid, "\n".join(lines)) == {"data": {"setDataPipeDataCsv":
                                                                                     {"isNone": True}}}
    assert rest_rows(client, nrec.token, nrec.uuid, "NRecords", limit=1)[0] == 100

    window = pipe_node(app, SPEC9_TIME_WINDOW)
    real_now = utcnow().replace(microsecond=0)
    lines = ["create_datetime,state"]
    for i in reversed(range(1, 101)):
        state = json.dumps({"level": rng.choice(["error", "info", "warning"]),
                            "TitleMessage": rng.choice(["Test Info One", "Test Info Two"])})
        lines.append(f'{fmt(real_now - timedelta(seconds=2 * i))},"{state.replace(chr(34), chr(34) * 2)}"')
    assert rest_import(client, window.token, window.uuid, "\r\n".join(lines)).status_code == 204
    count, rows = rest_rows(client, window.token, window.uuid, "TimeWindow", limit=1)
    assert count == 100 and json.loads(rows[0]["state"])["TitleMessage"].startswith("Test Info")


# --- delete ------------------------------------------------------------------------------------------
def test_delete_empties_the_nodes_data(app, client):
    node = pipe_node(app, n_records(5))
    add_n_records(app, node.uuid, ["a", "b"], utcnow() - timedelta(minutes=1))
    add_time_window(app, node.uuid, ["c"], utcnow())
    add_aggregations(app, node.uuid, [1.0], minute_now())
    now = utcnow()
    with app.app_context():
        db.session.add(DataPipeOpenWindow(unit_node_uuid=node.uuid, start_window_datetime=minute_now(),
                                          time_window_size=60, aggregation_type=AggregationFunctions.AVG,
                                          end_window_datetime=minute_now() + timedelta(minutes=1), count=1,
                                          sum=1.0, min=1.0, max=1.0))
        db.session.add(DataPipeNodeState(unit_node_uuid=node.uuid, last_message_datetime=now, last_value="b"))
        db.session.commit()
    other = pipe_node(app, n_records(5))
    add_n_records(app, other.uuid, ["kept"], utcnow())
    set_state(app, node.uuid, "live value")  # not a LastValue pipe: the node's state stays
    assert rest_delete(client, node.token, node.uuid).status_code == 204
    for model in (DataPipeNRecord, DataPipeTimeWindowRecord, DataPipeAggregation, DataPipeOpenWindow,
                  DataPipeNodeState):
        assert count_rows(app, model, node.uuid) == 0, model
    assert rest_rows(client, other.token, other.uuid, "NRecords")[0] == 1
    assert rest_rows(client, node.token, node.uuid, "LastValue")[0] == 1
    # A LastValue pipe's data is the node's state: delete clears it (v1.2 kept it, Q27)
    last_value = pipe_node(app, config(ProcessingPolicyType.LAST_VALUE))
    set_state(app, last_value.uuid, "42")
    assert gql_delete(client, last_value.token, last_value.uuid) == {"data": {"deleteDataPipeData": {"isNone": True}}}
    assert gql_rows(client, last_value.token, last_value.uuid, "LAST_VALUE") == (0, [])
    # needs neither an active nor a filled pipe
    bare = pipe_node(app, None, active=False)
    assert rest_delete(client, bare.token, bare.uuid).status_code == 204


def test_history_goes_with_the_unit_and_with_nodes_a_schema_update_removes(app, client):
    node = pipe_node(app, n_records(5))
    add_n_records(app, node.uuid, ["a"], utcnow())
    add_aggregations(app, node.uuid, [1.0], minute_now())
    with app.app_context():
        unit = db.session.get(Unit, db.session.get(UnitNode, node.uuid).unit_uuid)
        sync_nodes(unit, {"output_topic": ["other/pepeunit"], "input_topic": []})  # Q20: the node goes
        db.session.commit()
    assert count_rows(app, DataPipeNRecord, node.uuid) == 0
    assert count_rows(app, DataPipeAggregation, node.uuid) == 0
    second = pipe_node(app, n_records(5))
    add_time_window(app, second.uuid, ["t"], utcnow())
    with app.app_context():  # what services.units.delete does
        db.session.delete(db.session.get(Unit, db.session.get(UnitNode, second.uuid).unit_uuid))
        db.session.commit()
    assert count_rows(app, DataPipeTimeWindowRecord, second.uuid) == 0
