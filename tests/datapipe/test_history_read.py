"""getPipeData / GET unit_nodes/get_data_pipe_data/: every policy's shape, filters, ordering, paging and
retention exactly as a reader sees it, over REST and GraphQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from pepeunit.errors import DataPipeError
from pepeunit.models import AggregationFunctions
from pepeunit.models.columns import utcnow
from pepeunit.services.datapipe.history import parse_interval
from tests.datapipe.history_common import (
    add_aggregations,
    add_n_records,
    add_time_window,
    aggregation,
    gql_read,
    gql_rows,
    n_records,
    pipe_node,
    rest_read,
    rest_rows,
    set_flag,
    set_pipe,
    set_state,
    time_window,
)
from tests.helpers import gql_error


@pytest.fixture(autouse=True)
def datapipe_on(app, monkeypatch):
    set_flag(app, monkeypatch)


def iso(moment) -> str:
    return moment.isoformat()


def test_n_records_returns_the_newest_n_whatever_the_cleanup(app, client):
    node = pipe_node(app, n_records(5))
    start = utcnow() - timedelta(minutes=10)
    times = add_n_records(app, node.uuid, [f"v{i}" for i in range(10)], start)  # N + 5 rows stored
    count, rows = rest_rows(client, node.token, node.uuid, "NRecords")
    assert count == 5
    assert [r["state"] for r in rows] == ["v9", "v8", "v7", "v6", "v5"]
    assert rows[0] == {"unit_node_uuid": node.uuid, "state": "v9", "state_type": "Text",
                       "create_datetime": iso(times[9]), "max_count": 5, "size": 2}
    count, rows = gql_rows(client, node.token, node.uuid, "N_RECORDS", orderByCreateDate="asc")
    assert count == 5 and [r["state"] for r in rows] == ["v5", "v6", "v7", "v8", "v9"]
    assert rows[0] == {"__typename": "NRecordsType", "unitNodeUuid": node.uuid, "state": "v5", "stateType": "TEXT",
                       "createDatetime": iso(times[5]), "maxCount": 5, "size": 2}
    # The node's current N decides: raising it shows more of what is still stored.
    set_pipe(app, node.uuid, n_records(8))
    assert rest_rows(client, node.token, node.uuid, "NRecords")[0] == 8


def test_n_records_without_an_n_records_config_keep_each_rows_own_max_count(app, client):
    node = pipe_node(app, time_window())
    add_n_records(app, node.uuid, [f"v{i}" for i in range(7)], utcnow() - timedelta(minutes=5), max_count=3)
    count, rows = rest_rows(client, node.token, node.uuid, "NRecords")
    assert count == 3 and [r["state"] for r in rows] == ["v6", "v5", "v4"]


def test_n_records_filters_order_and_paging(app, client):
    node = pipe_node(app, n_records(100))
    start = utcnow() - timedelta(hours=3)
    states = ["alpha", "beta", "50%", "50x", "a_b", "axb", "Alpha2", "gamma"]
    times = add_n_records(app, node.uuid, states, start, step=timedelta(minutes=20))
    assert rest_rows(client, node.token, node.uuid, "NRecords", search_string="alpha")[0] == 2  # ILIKE
    # % and _ match themselves (v1.2 left them as wildcards, Q12).
    assert [r["state"] for r in rest_rows(client, node.token, node.uuid, "NRecords", search_string="0%")[1]] == ["50%"]
    assert [r["state"] for r in gql_rows(client, node.token, node.uuid, "N_RECORDS", searchString="a_")[1]] == ["a_b"]
    # create-time bounds are inclusive
    count, rows = rest_rows(client, node.token, node.uuid, "NRecords", start_create_datetime=iso(times[2]),
                            end_create_datetime=iso(times[4]), order_by_create_date="asc")
    assert count == 3 and [r["state"] for r in rows] == ["50%", "50x", "a_b"]
    count, rows = gql_rows(client, node.token, node.uuid, "N_RECORDS", startCreateDatetime=iso(times[2]),
                           endCreateDatetime=iso(times[4]))
    assert count == 3 and [r["state"] for r in rows] == ["a_b", "50x", "50%"]
    # relative_time is a further lower bound: rows are 180, 160, ..., 40 minutes old
    count, rows = rest_rows(client, node.token, node.uuid, "NRecords", relative_time="81m")
    assert count == 3 and [r["state"] for r in rows] == ["gamma", "Alpha2", "axb"]
    assert gql_rows(client, node.token, node.uuid, "N_RECORDS", relativeTime="1d",
                    startCreateDatetime=iso(times[6]))[0] == 2
    # paging: count is before offset/limit; 0 means none
    count, rows = rest_rows(client, node.token, node.uuid, "NRecords", offset=2, limit=3)
    assert count == 8 and [r["state"] for r in rows] == ["axb", "a_b", "50x"]
    count, rows = gql_rows(client, node.token, node.uuid, "N_RECORDS", offset=0, limit=0)
    assert count == 8 and len(rows) == 8
    count, rows = gql_rows(client, node.token, node.uuid, "N_RECORDS", offset=6, limit=10, orderByCreateDate="asc")
    assert [r["state"] for r in rows] == ["Alpha2", "gamma"]


def test_paging_bounds_are_refused(app, client):
    node = pipe_node(app, n_records(5))
    assert rest_read(client, node.token, node.uuid, "NRecords", limit=501).get_json()["detail"] == \
        "422: 2: Validation Error: limit must be <= 500"
    assert gql_error(gql_read(client, node.token, node.uuid, "N_RECORDS", offset=-1)) == \
        "422: 2: Validation Error: offset must be >= 0"


def test_time_window_never_returns_expired_rows(app, client):
    node = pipe_node(app, time_window(300))
    now = utcnow()
    expirations = [now - timedelta(seconds=5), now - timedelta(seconds=1), now + timedelta(seconds=60),
                   now + timedelta(seconds=120)]
    times = add_time_window(app, node.uuid, ["old", "older", "live", "fresh"], now - timedelta(seconds=400),
                            expirations=expirations)
    count, rows = rest_rows(client, node.token, node.uuid, "TimeWindow")
    assert count == 2 and [r["state"] for r in rows] == ["fresh", "live"]
    assert rows[1] == {"unit_node_uuid": node.uuid, "state": "live", "state_type": "Text",
                       "create_datetime": iso(times[2]), "expiration_datetime": iso(expirations[2]), "size": 4}
    count, rows = gql_rows(client, node.token, node.uuid, "TIME_WINDOW", searchString="LIV")
    assert count == 1 and rows[0] == {
        "__typename": "TimeWindowType", "unitNodeUuid": node.uuid, "state": "live", "stateType": "TEXT",
        "createDatetime": iso(times[2]), "expirationDatetime": iso(expirations[2]), "size": 4}


def test_aggregation_filters_and_shapes(app, client):
    node = pipe_node(app, aggregation(60))
    first_end = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    ends = add_aggregations(app, node.uuid, [1.5, 2.25, 3.0], first_end)
    add_aggregations(app, node.uuid, [7.0, 8.0], first_end, function=AggregationFunctions.MIN)
    add_aggregations(app, node.uuid, [9.0], first_end, size=300, function=AggregationFunctions.MAX)
    count, rows = rest_rows(client, node.token, node.uuid, "Aggregation")
    assert count == 6
    count, rows = rest_rows(client, node.token, node.uuid, "Aggregation", aggregation_type="Avg",
                            order_by_create_date="asc")
    assert count == 3 and [r["state"] for r in rows] == [1.5, 2.25, 3.0]
    assert rows[0] == {"unit_node_uuid": node.uuid, "state": 1.5, "aggregation_type": "Avg", "time_window_size": 60,
                       "create_datetime": iso(ends[0] + timedelta(seconds=3)),
                       "start_window_datetime": iso(ends[0] - timedelta(seconds=60)),
                       "end_window_datetime": iso(ends[0])}
    # GraphQL: state is a Float, and AggregationType has no endWindowDatetime (v1.2's type; it crashed there, Q11)
    count, rows = gql_rows(client, node.token, node.uuid, "AGGREGATION", aggregationType=["MIN", "MAX"])
    assert count == 3 and sorted(r["stateFloat"] for r in rows) == [7.0, 8.0, 9.0]
    assert {r["aggregationType"] for r in rows} == {"MIN", "MAX"}
    assert gql_rows(client, node.token, node.uuid, "AGGREGATION", aggregationType=[])[0] == 0
    assert rest_rows(client, node.token, node.uuid, "Aggregation", time_window_size=300)[0] == 1
    # both window bounds test the window END
    count, rows = rest_rows(client, node.token, node.uuid, "Aggregation", aggregation_type="Avg",
                            start_agg_window_datetime=iso(ends[1]), end_agg_window_datetime=iso(ends[2]))
    assert [r["state"] for r in rows] == [3.0, 2.25]
    count, rows = gql_rows(client, node.token, node.uuid, "AGGREGATION", aggregationType=["AVG"],
                           endAggWindowDatetime=iso(ends[0]))
    assert count == 1 and rows[0] == {
        "__typename": "AggregationType", "unitNodeUuid": node.uuid, "stateFloat": 1.5, "aggregationType": "AVG",
        "timeWindowSize": 60, "createDatetime": iso(ends[0] + timedelta(seconds=3)),
        "startWindowDatetime": iso(ends[0] - timedelta(seconds=60))}
    # unknown REST enum strings match nothing
    assert rest_rows(client, node.token, node.uuid, "Aggregation", aggregation_type="Median")[0] == 0


def test_last_value_reads_the_node_state_and_a_null_state_is_empty(app, client):
    node = pipe_node(app, aggregation(60))
    # A null state used to fail DTO validation (GraphQL) and the response model (REST 500), Q11.
    assert rest_rows(client, node.token, node.uuid, "LastValue") == (0, [])
    assert gql_rows(client, node.token, node.uuid, "LAST_VALUE") == (0, [])
    set_state(app, node.uuid, '{"one": 5}')
    count, rows = rest_rows(client, node.token, node.uuid, "LastValue", search_string="nothing", limit=1)
    assert count == 1 and rows[0]["state"] == '{"one": 5}' and rows[0]["unit_node_uuid"] == node.uuid
    assert set(rows[0]) == {"unit_node_uuid", "state", "last_update_datetime"}
    count, rows = gql_rows(client, node.token, node.uuid, "LAST_VALUE")
    assert count == 1 and rows[0]["__typename"] == "LastValueType" and rows[0]["state"] == '{"one": 5}'


def test_relative_time_errors_are_clear_422s(app, client):
    node = pipe_node(app, n_records(5))
    # v1.2 answered a 500 for each of these (Q13)
    for bad, text in (("5x", "Unknown interval: 5x"), ("xh", "Invalid interval number: xh"),
                      ("h", "Invalid interval number: h"),
                      ("99999999999999y", "Invalid interval number: 99999999999999y")):
        response = rest_read(client, node.token, node.uuid, "NRecords", relative_time=bad)
        assert response.status_code == 422, (bad, response.get_json())
        assert response.get_json()["detail"].startswith(f"422: 8: DataPipe Validation Error: {text}")
    assert gql_error(gql_read(client, node.token, node.uuid, "N_RECORDS", relativeTime="1w")).startswith(
        "422: 8: DataPipe Validation Error: Unknown interval: 1w")
    assert rest_read(client, node.token, node.uuid, "NRecords", relative_time="").status_code == 200  # no bound


def test_parse_interval_units():
    assert parse_interval("30s") == timedelta(seconds=30)
    assert parse_interval("5m") == timedelta(minutes=5)
    assert parse_interval("2h") == timedelta(hours=2)
    assert parse_interval("-1d") == timedelta(days=-1)
    assert parse_interval("3M") == relativedelta(months=3)
    assert parse_interval("1y") == relativedelta(years=1)
    for bad in ("1.5h", "", "h", "10"):
        with pytest.raises(DataPipeError):
            parse_interval(bad)
