"""DataPipe ingestion benchmark: node values -> local Mosquitto (QoS 1) -> our consumer's pipes -> PostgreSQL.

1,000 nodes (by default) with active pipes, a quarter of each policy: LastValue (Text),
NRecords (Number, x0.7 rounded to 3), TimeWindow (Text, sliced) and Aggregation (Number, Avg
over 60 s); each pipe also has a list filter that never matches, so every value runs every
step and is stored. Each payload is the time it was published (a number), so the consumer
measures publish-to-commit lag per message. In the same run a plain subscriber (another
process, QoS 1, no processing) measures how fast the broker relays, and its own publish-to-receipt
lag (what the publishers and the broker add before any consumer work).

Printed: pipe messages processed and stored per second, lost (published - stored), the rows
checked in PostgreSQL, the processing lag p50/p99, and the raw relay rate.

    .venv/bin/python -m bench.datapipe_ingest --nodes 1000 --messages 20 --publishers 2
    .venv/bin/python -m bench.datapipe_ingest --backlog   # the consumer alone draining a backlog
"""
from __future__ import annotations

import dataclasses
import time

import sqlalchemy as sa

from bench.common import HeldConsumer, bench_stack, ingest_parser, make_units, percentile, run_ingest
from pepeunit.extensions import db
from pepeunit.models import UnitNode
from pepeunit.models.data_pipe import DataPipeNRecord, DataPipeOpenWindow, DataPipeTimeWindowRecord
from pepeunit.models.enums import (
    ActivePeriodType,
    AggregationFunctions,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
)
from pepeunit.services.datapipe import cache
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy, Transformations

P = ProcessingPolicyType


def _config(kind, policy, transformations, **policy_fields) -> PipeConfig:
    blocked = ("never",) if kind is TypeInputValue.TEXT else (-1.5,)
    return PipeConfig(
        active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
        filters=Filters(type_input_value=kind, type_value_filtering=TypeValueFiltering.BLACK_LIST,
                        filtering_values=blocked, max_rate=0, max_size=128),
        transformations=transformations,
        processing_policy=ProcessingPolicy(policy_type=policy, **policy_fields),
    )


CONFIGS = (
    _config(TypeInputValue.TEXT, P.LAST_VALUE, None),
    _config(TypeInputValue.NUMBER, P.N_RECORDS, Transformations(multiplication_ratio=0.7, round_decimal_point=3),
            n_records_count=1024),
    _config(TypeInputValue.TEXT, P.TIME_WINDOW, Transformations(slice_start=0, slice_end=100), time_window_size=3600),
    _config(TypeInputValue.NUMBER, P.AGGREGATION, None, time_window_size=60,
            aggregation_functions=AggregationFunctions.AVG),
)


def make_pipes(app, count: int) -> list[tuple[str, P]]:
    """``count`` Output nodes with active pipes, policies in turn; returns (node uuid, policy)."""
    units = make_units(app, count)
    nodes = []
    with app.app_context():
        for i, unit in enumerate(units):
            config = CONFIGS[i % len(CONFIGS)]
            db.session.execute(sa.update(UnitNode).where(UnitNode.uuid == unit["output"]).values(
                is_data_pipe_active=True, data_pipe_yml=config.to_stored()))
            nodes.append((unit["output"], config.processing_policy.policy_type))
        db.session.commit()
        cache.invalidate()
    return nodes


def main():
    parser = ingest_parser(__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20, help="messages per node")
    args = parser.parse_args()

    with bench_stack() as (env, app):
        settings = dataclasses.replace(app.config["PU_SETTINGS"], PU_FF_DATAPIPE_ENABLE=True)
        app.config["PU_SETTINGS"] = settings
        domain = env["PU_DOMAIN"]
        nodes = make_pipes(app, args.nodes)
        total = len(nodes) * args.messages
        lags: list[float] = []

        class BenchConsumer(HeldConsumer):
            def _handle(self, items, stop):
                super()._handle(items, stop)
                committed = time.time()
                lags.extend(committed - float(payload) for _topic, payload, _mid, _qos in items)

        consumer = BenchConsumer(app, args.backlog)
        c = consumer.counters
        timed = [(f"{domain}/{node}/pepeunit", None) for node, _ in nodes]
        slices = [[m for _ in range(args.messages) for m in timed[i::args.publishers]] for i in range(args.publishers)]
        run = run_ingest(app, consumer, slices, [f"{domain}/+/pepeunit"], total, lambda: c.pipe_accepted,
                         timed_payloads=True)
        published, t_published, elapsed = run.published, run.publish_seconds, run.drain_seconds
        relayed, relay_span, relay_p50, relay_p99 = run.relay

        by_policy = {policy: [n for n, p in nodes if p is policy] for policy in P}
        with app.app_context():
            n_rows = db.session.execute(sa.select(sa.func.count()).select_from(DataPipeNRecord)).scalar_one()
            tw_rows = db.session.execute(sa.select(sa.func.count()).select_from(DataPipeTimeWindowRecord)).scalar_one()
            agg_values = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(DataPipeOpenWindow.count), 0))
                                            ).scalar_one()
            with_state = db.session.execute(sa.select(sa.func.count()).select_from(UnitNode).where(
                UnitNode.uuid.in_(by_policy[P.LAST_VALUE]), UnitNode.state.is_not(None))).scalar_one()
        per = args.messages
        stored = c.pipe_accepted
        lag_sorted = sorted(lags)
        print(f"nodes={len(nodes)} with active pipes (LastValue, NRecords, TimeWindow, Aggregation: "
              f"{', '.join(str(len(by_policy[p])) for p in P)}) messages={total} ({per} per node) "
              f"publishers={args.publishers} QoS 1")
        print(f"published (broker PUBACK): {published} in {t_published:.2f}s = {published / t_published:,.0f} msg/s")
        print("mode: " + ("backlog (everything received first, then the consumer drains it alone)" if args.backlog
                          else "live (publishing and consuming at the same time)"))
        print(f"pipe messages processed and stored by the consumer: {stored} in {elapsed:.2f}s = "
              f"{stored / elapsed:,.0f} msg/s ({c.batches} batches, dropped {dict(c.pipe_dropped)}, "
              f"{c.rejected} rejected)")
        print(f"lost: {published - stored}")
        print(f"check: NRecords rows {n_rows}/{len(by_policy[P.N_RECORDS]) * per}; TimeWindow rows "
              f"{tw_rows}/{len(by_policy[P.TIME_WINDOW]) * per}; values in open Aggregation windows "
              f"{agg_values}/{len(by_policy[P.AGGREGATION]) * per}; LastValue nodes with a state "
              f"{with_state}/{len(by_policy[P.LAST_VALUE])}")
        if not args.backlog:
            print(f"processing lag (publish -> commit): p50 {percentile(lag_sorted, 0.5) * 1000:.0f} ms, "
                  f"p99 {percentile(lag_sorted, 0.99) * 1000:.0f} ms")
        else:
            print("processing lag: not meaningful for a held backlog (values waited on purpose); see the live run")
        print(f"raw broker relay to a plain QoS-1 subscriber: {relayed} msgs in {relay_span:.2f}s = "
              f"{relayed / max(relay_span, 1e-9):,.0f} msg/s; its lag (publish -> receipt): "
              f"p50 {relay_p50 * 1000:.0f} ms, p99 {relay_p99 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
