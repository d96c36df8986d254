"""DataPipe pipes run by the real consumer on Mosquitto: each policy's stored rows, windows closing,
retention, filter state surviving a new consumer instance, configs that cannot run, hostile payloads."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from pepeunit.extensions import db
from pepeunit.models import UnitNode
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.models.data_pipe import (
    DataPipeAggregation,
    DataPipeNodeState,
    DataPipeNRecord,
    DataPipeOpenWindow,
    DataPipeTimeWindowRecord,
)
from pepeunit.models.enums import (
    ActivePeriodType,
    AggregationFunctions,
    DataPipeStatus,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
)
from pepeunit.runtime import scheduler
from pepeunit.services import unit_reports
from pepeunit.services.datapipe import cache, ingest, pipeline
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy, Transformations
from pepeunit.services.datapipe.postgres_store import STORE

from .. import world
from ..helpers import RunningConsumer, publish_all, wait_until

NUMBER, TEXT = TypeInputValue.NUMBER, TypeInputValue.TEXT
P = ProcessingPolicyType


@pytest.fixture(autouse=True)
def pipes_on(app, monkeypatch, forget_backend_session):
    """The DataPipe flag on for this test, and a cold config cache (Redis is flushed between tests)."""
    settings = dataclasses.replace(app.config["PU_SETTINGS"], PU_FF_DATAPIPE_ENABLE=True)
    monkeypatch.setitem(app.config, "PU_SETTINGS", settings)
    cache.forget()
    yield
    cache.forget()


def pipe(kind=TEXT, policy=P.N_RECORDS, transformations=None, n=10, size=60, function=AggregationFunctions.AVG,
         **filters) -> PipeConfig:
    filters.setdefault("max_rate", 0)
    filters.setdefault("max_size", 0)
    return PipeConfig(active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
                      filters=Filters(type_input_value=kind, **filters), transformations=transformations,
                      processing_policy=ProcessingPolicy(policy_type=policy, n_records_count=n, time_window_size=size,
                                                         aggregation_functions=function))


def pipe_nodes(app, *configs, kind=T.OUTPUT, stored=None):
    """One committed unit with a /pepeunit node per config (its stored text, or ``stored``); returns uuids."""
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        nodes = []
        for i, config in enumerate(configs):
            node = world.node(unit, kind, f"v{i}/pepeunit")
            node.is_data_pipe_active = True
            node.data_pipe_yml = stored if stored is not None else config.to_stored()
            nodes.append(node)
        db.session.commit()
        cache.invalidate()
        return [n.uuid for n in nodes]


def topic(settings, node_uuid):
    return f"{settings.PU_DOMAIN}/{node_uuid}/pepeunit"


def handled(consumer) -> int:
    return consumer.counters.pipe_accepted + sum(consumer.counters.pipe_dropped.values())


def rows(app, model, node_uuid, order=None):
    with app.app_context():
        db.session.remove()
        query = sa.select(model).where(model.unit_node_uuid == node_uuid)
        if order is not None:
            query = query.order_by(order)
        return db.session.execute(query).scalars().all()


def node_row(app, node_uuid):
    with app.app_context():
        db.session.remove()
        return db.session.get(UnitNode, node_uuid)


def test_n_records_numbers_transformed_and_non_numbers_dropped(app, settings, publisher):
    (node,) = pipe_nodes(app, pipe(NUMBER, P.N_RECORDS, Transformations(multiplication_ratio=0.7,
                                                                        round_decimal_point=3), n=100))
    payloads = ["12.5", "abc", "1_000", " 3", "0x1p4", "1e400", "-2"]
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic(settings, node), p) for p in payloads])
        assert wait_until(lambda: handled(consumer) >= len(payloads))
        assert consumer.counters.pipe_accepted == 4
        assert consumer.counters.pipe_dropped == {pipeline.NOT_A_NUMBER: 3}
    stored = rows(app, DataPipeNRecord, node, DataPipeNRecord.id)
    assert [r.state for r in stored] == ["8.750", "700.000", "11.200", "-1.400"]
    assert {(r.state_type, r.max_count) for r in stored} == {(NUMBER, 100)}
    assert [r.size for r in stored] == [5, 7, 6, 6]
    state = rows(app, DataPipeNodeState, node)[0]
    assert state.last_value == "-1.400"


def test_time_window_text_slices_and_expiration(app, settings, publisher):
    (node,) = pipe_nodes(app, pipe(TEXT, P.TIME_WINDOW, Transformations(slice_start=0, slice_end=4), size=300,
                                   max_size=8))
    payloads = ["héllo world", "日本語テキスト", "short", "toolongvalue"]
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic(settings, node), p) for p in payloads])
        assert wait_until(lambda: handled(consumer) >= len(payloads))
        assert consumer.counters.pipe_dropped == {pipeline.MAX_SIZE: 3}  # bytes: 12, 21 and 12 > 8
    stored = rows(app, DataPipeTimeWindowRecord, node)
    assert [(r.state, r.size, r.state_type) for r in stored] == [("shor", 4, TEXT)]
    assert stored[0].expiration_datetime - stored[0].create_datetime == timedelta(seconds=300)
    with app.app_context():
        assert ingest.expire(stored[0].expiration_datetime - timedelta(seconds=1)) == 0
        assert ingest.expire(stored[0].expiration_datetime) == 1
    assert rows(app, DataPipeTimeWindowRecord, node) == []


def test_last_value_pipe_owns_the_node_state(app, settings, publisher):
    """Filtered values never reach units_nodes.state; nodes without a pipe keep the plain flow."""
    config = pipe(TEXT, P.LAST_VALUE, type_value_filtering=TypeValueFiltering.BLACK_LIST,
                  filtering_values=("bad",), last_unique_check=True)
    piped, piped_input = pipe_nodes(app, config, config)
    with app.app_context():
        db.session.execute(sa.update(UnitNode).where(UnitNode.uuid == piped_input).values(type=T.INPUT))
        plain = world.node(world.unit(world.user(bare=True), bare=True), T.OUTPUT, "p/pepeunit")
        db.session.commit()
        plain = plain.uuid
    messages = [(topic(settings, piped), "good"), (topic(settings, piped), "good"), (topic(settings, piped), "bad"),
                (topic(settings, piped_input), "on"), (topic(settings, plain), "bad")]
    with RunningConsumer(app) as consumer:
        publish_all(publisher, messages)
        assert wait_until(lambda: handled(consumer) >= 4 and consumer.counters.node_values >= 1)
        assert consumer.counters.pipe_dropped == {pipeline.NOT_UNIQUE: 1, pipeline.LIST: 1}
    with app.app_context():
        assert node_row(app, piped).state == "good"
        assert unit_reports.last_node_value(piped) == "good"
        # The pipe runs on Input nodes too (v1.2), but their state stays set_state_input's (echoes arrive late).
        assert node_row(app, piped_input).state is None
        assert rows(app, DataPipeNodeState, piped_input)[0].last_value == "on"
        assert node_row(app, plain).state == "bad"


def test_aggregation_windows_per_node_size_and_function(app, settings, publisher):
    """Q6: each node's own size and function; Q8: windows accumulate in the database; closed once."""
    avg, top = pipe_nodes(app, pipe(NUMBER, P.AGGREGATION, size=60, function=AggregationFunctions.AVG),
                          pipe(NUMBER, P.AGGREGATION, size=300, function=AggregationFunctions.MAX))
    messages = [(topic(settings, avg), v) for v in ("1", "2", "6", "x")]
    messages += [(topic(settings, top), v) for v in ("-5", "7.5", "3")]
    with RunningConsumer(app) as consumer:
        publish_all(publisher, messages)
        assert wait_until(lambda: handled(consumer) >= 7)
        assert consumer.counters.pipe_accepted == 6
    avg_open, top_open = rows(app, DataPipeOpenWindow, avg), rows(app, DataPipeOpenWindow, top)
    assert [(w.time_window_size, w.aggregation_type, w.count, w.sum, w.min, w.max) for w in avg_open] == [
        (60, AggregationFunctions.AVG, 3, 9.0, 1.0, 6.0)]
    assert [(w.time_window_size, w.aggregation_type, w.count) for w in top_open] == [(300, AggregationFunctions.MAX, 3)]
    window = avg_open[0]
    assert window.end_window_datetime - window.start_window_datetime == timedelta(seconds=60)
    assert window.start_window_datetime == pipeline.window_start(window.start_window_datetime, 60)
    with app.app_context():
        assert STORE.close_windows(window.end_window_datetime - timedelta(microseconds=1)) == 0
        db.session.commit()
        # In the last minute of a 5-minute slot both windows end together and close together.
        together = top_open[0].end_window_datetime == window.end_window_datetime
        assert ingest.close_windows(window.end_window_datetime + ingest.CLOSE_GRACE) == (2 if together else 1)
        later = top_open[0].end_window_datetime + timedelta(seconds=600)
        assert ingest.close_windows(later) == (0 if together else 1)
        assert ingest.close_windows(later) == 0  # nothing open: no empty-window rows
    (written,) = rows(app, DataPipeAggregation, avg)
    assert (written.state, written.start_window_datetime, written.end_window_datetime) == (
        3.0, window.start_window_datetime, window.end_window_datetime)
    assert [r.state for r in rows(app, DataPipeAggregation, top)] == [7.5]
    assert rows(app, DataPipeOpenWindow, avg) == []


def test_a_window_is_written_once(app):
    (node,) = pipe_nodes(app, pipe(NUMBER, P.AGGREGATION))
    start = datetime(2026, 1, 1, 10, 0)
    with app.app_context():
        configs = cache.configs_for([node])
        for _ in range(2):  # the same window reopened after it was written (a late batch)
            ingest.apply([(node, "4", start + timedelta(seconds=5))], configs)
            db.session.commit()
            ingest.close_windows(start + timedelta(minutes=5))
    assert [r.state for r in rows(app, DataPipeAggregation, node)] == [4.0]


def test_n_records_retention_keeps_the_newest_n(app):
    """N is the node's current config N (what readers show), else each row's own max_count."""
    node, shrunk, changed = pipe_nodes(app, pipe(TEXT, P.N_RECORDS, n=3), pipe(TEXT, P.N_RECORDS, n=3),
                                       pipe(TEXT, P.N_RECORDS, n=3))
    start = datetime(2026, 1, 1)
    with app.app_context():
        configs = cache.configs_for([node, shrunk, changed])
        ingest.apply([(n, str(i), start + timedelta(seconds=i)) for i in range(5) for n in (node, shrunk, changed)],
                     configs)
        db.session.commit()
        db.session.execute(sa.update(UnitNode).where(UnitNode.uuid == shrunk).values(
            data_pipe_yml=pipe(TEXT, P.N_RECORDS, n=1).to_stored()))
        db.session.execute(sa.update(UnitNode).where(UnitNode.uuid == changed).values(
            data_pipe_yml=pipe(TEXT, P.LAST_VALUE, n=1).to_stored()))
        db.session.commit()
        assert ingest.expire(start) == 2 + 4 + 2
    assert sorted(r.state for r in rows(app, DataPipeNRecord, node)) == ["2", "3", "4"]
    assert [r.state for r in rows(app, DataPipeNRecord, shrunk)] == ["4"]
    assert sorted(r.state for r in rows(app, DataPipeNRecord, changed)) == ["2", "3", "4"]


def test_filter_state_survives_a_new_consumer(app, settings, publisher):
    """Failover: consumer B still refuses a burst within max_rate, and accepts the next legitimate value."""
    (node,) = pipe_nodes(app, pipe(TEXT, P.N_RECORDS, max_rate=60, last_unique_check=True))
    with RunningConsumer(app) as first:
        publish_all(publisher, [(topic(settings, node), "1")])
        assert wait_until(lambda: first.counters.pipe_accepted == 1)
    with RunningConsumer(app) as second:
        publish_all(publisher, [(topic(settings, node), "2"), (topic(settings, node), "3")])
        assert wait_until(lambda: handled(second) >= 2)
        assert second.counters.pipe_dropped == {pipeline.MAX_RATE: 2}
        with app.app_context():  # a minute passes
            db.session.execute(sa.update(DataPipeNodeState).values(
                last_message_datetime=DataPipeNodeState.last_message_datetime - timedelta(seconds=61)))
            db.session.commit()
        publish_all(publisher, [(topic(settings, node), "1"), (topic(settings, node), "4")])
        assert wait_until(lambda: handled(second) >= 4)
        assert second.counters.pipe_accepted == 1
        assert second.counters.pipe_dropped == {pipeline.MAX_RATE: 2, pipeline.NOT_UNIQUE: 1}
    assert sorted(r.state for r in rows(app, DataPipeNRecord, node)) == ["1", "4"]


def test_config_that_cannot_run_marks_the_node_once(app, settings, publisher):
    (broken,) = pipe_nodes(app, pipe(), stored='{"active_period": {"type": "Forever"}}')
    (working,) = pipe_nodes(app, pipe())
    (no_count,) = pipe_nodes(app, pipe(n=None))
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic(settings, broken), "a"), (topic(settings, working), "b")])
        assert wait_until(lambda: consumer.counters.pipe_accepted >= 1)
        node = node_row(app, broken)
        assert node.data_pipe_status == DataPipeStatus.ERROR.value
        assert "cannot run" in node.data_pipe_error
        assert node_row(app, no_count).data_pipe_error.endswith("n_records_count is required for N_RECORDS")
        with app.app_context():  # someone clears it; no new generation: the consumer does not write it again
            db.session.execute(sa.update(UnitNode).where(UnitNode.uuid == broken).values(data_pipe_status=None))
            db.session.commit()
        publish_all(publisher, [(topic(settings, broken), "c"), (topic(settings, working), "d")])
        assert wait_until(lambda: consumer.counters.pipe_accepted >= 2)
        assert node_row(app, broken).data_pipe_status is None
    assert rows(app, DataPipeNRecord, broken) == [] and rows(app, DataPipeNRecord, no_count) == []
    assert [r.state for r in rows(app, DataPipeNRecord, working)] == ["b", "d"]


def test_hostile_payloads_are_dropped_and_counted(app, settings, publisher):
    (node,) = pipe_nodes(app, pipe(NUMBER, P.AGGREGATION))
    huge = "1" * (settings.PU_MQTT_MAX_PAYLOAD_SIZE * 1024 + 1)
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic(settings, node), b"\xff\xfe"), (topic(settings, node), huge),
                                (topic(settings, node), "nan?"), (topic(settings, node), "5")])
        assert wait_until(lambda: consumer.counters.pipe_accepted == 1)
        assert consumer.counters.rejected == 2
        assert consumer.counters.pipe_dropped == {pipeline.NOT_A_NUMBER: 1}
    assert [w.count for w in rows(app, DataPipeOpenWindow, node)] == [1]


def test_flag_off_runs_no_pipe(app, settings, publisher, monkeypatch):
    (node,) = pipe_nodes(app, pipe(TEXT, P.LAST_VALUE, type_value_filtering=TypeValueFiltering.WHITE_LIST))
    monkeypatch.setitem(app.config, "PU_SETTINGS", dataclasses.replace(settings, PU_FF_DATAPIPE_ENABLE=False))
    with RunningConsumer(app) as consumer:
        publish_all(publisher, [(topic(settings, node), "raw")])
        assert wait_until(lambda: consumer.counters.node_values == 1)
        assert handled(consumer) == 0
    assert node_row(app, node).state == "raw"


def test_leader_jobs_close_windows_and_apply_retention(app):
    assert (scheduler.JOBS["datapipe_close_windows"].every, scheduler.JOBS["datapipe_retention"].every) == (5, 60)
    agg, n_records = pipe_nodes(app, pipe(NUMBER, P.AGGREGATION, function=AggregationFunctions.SUM),
                                pipe(TEXT, P.N_RECORDS, n=1))
    ended = datetime.utcnow() - timedelta(minutes=3)
    with app.app_context():
        configs = cache.configs_for([agg, n_records])
        ingest.apply([(agg, "2", ended), (agg, "3", ended), (n_records, "old", ended), (n_records, "new", ended)],
                     configs)
        db.session.commit()
    jobs = scheduler.Scheduler(app)
    jobs.run_job("datapipe_close_windows")
    jobs.run_job("datapipe_retention")
    assert [r.state for r in rows(app, DataPipeAggregation, agg)] == [5.0]
    assert [r.state for r in rows(app, DataPipeNRecord, n_records)] == ["new"]
