"""Ingestion benchmark: simulated units -> local Mosquitto (QoS 1) -> our consumer -> PostgreSQL.

Each simulated unit sends one state, then log lines and output node values (QoS 1).
Publisher processes multiplex their units over one MQTT connection each. In the same
run a plain subscriber (another process, same filters, QoS 1, no processing) measures
how fast the broker relays. Printed: messages/s persisted (committed by the consumer),
messages lost (published - persisted), rows checked in PostgreSQL, and the raw relay rate.

    .venv/bin/python -m bench.mqtt_ingest --units 100 --messages 300 --publishers 2

``--mode leader`` / ``--mode shared --consumers N``: consumers in their own processes (one leader
consumer, or N shared-mode consumers in one $share group) loaded by C publishers (``mosquitto_pub
-l``, one per topic: each unit's log topic and its output node); see ``bench.consumer_processes``.

    .venv/bin/python -m bench.mqtt_ingest --mode shared --consumers 2 --units 16 --messages 4000
"""
from __future__ import annotations

import json

import sqlalchemy as sa

from bench import consumer_processes
from bench.common import HeldConsumer, bench_stack, ingest_parser, make_units, run_ingest
from pepeunit.extensions import db
from pepeunit.models import UnitLog, UnitNode


def plan(units, domain, per_unit, log_share):
    """Messages in round-robin order across units; every unit starts with one state."""
    per = []
    for i, u in enumerate(units):
        msgs = [(f"{domain}/output_base_topic/{u['unit']}/state/pepeunit",
                 json.dumps({"millis": 1, "mem_free": 2, "mem_alloc": 3, "freq": 4, "pu_commit_version": "bench"}))]
        for seq in range(per_unit - 1):
            if (seq * 7919) % 100 < log_share * 100:
                msgs.append((f"{domain}/output_base_topic/{u['unit']}/log/pepeunit",
                             json.dumps({"level": "Info", "text": f"u{i} line {seq}"})))
            else:
                msgs.append((f"{domain}/{u['output']}/pepeunit", f"u{i}-{seq}"))
        per.append(msgs)
    ordered = []
    for column in range(per_unit):
        ordered.extend(msgs[column] for msgs in per)
    return ordered


def main():
    parser = ingest_parser(__doc__)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--messages", type=int, default=300, help="messages per unit (first is a state)")
    parser.add_argument("--log-share", type=float, default=0.7, help="share of log lines among the rest")
    parser.add_argument("--mode", choices=("leader", "shared"), default=None,
                        help="consumers in processes, C publishers (default: the in-thread consumer)")
    parser.add_argument("--consumers", type=int, default=1, help="--mode shared: consumer processes")
    args = parser.parse_args()
    if args.mode:
        return run_processes(args)

    with bench_stack() as (env, app):
        domain = env["PU_DOMAIN"]
        units = make_units(app, args.units)
        messages = plan(units, domain, args.messages, args.log_share)
        total = len(messages)
        expected_logs = sum(1 for t, _ in messages if t.endswith("/log/pepeunit"))
        last_value = {}
        for topic, payload in messages:
            if topic.count("/") == 2:
                last_value[topic.split("/")[1]] = payload

        consumer = HeldConsumer(app, args.backlog)
        slices = [messages[i::args.publishers] for i in range(args.publishers)]
        run = run_ingest(app, consumer, slices, [f"{domain}/+/+/+/pepeunit", f"{domain}/+/pepeunit"], total,
                         lambda: consumer.counters.committed)
        published, t_published, elapsed = run.published, run.publish_seconds, run.drain_seconds
        relayed, relay_span, _, _ = run.relay

        with app.app_context():
            rows = db.session.execute(sa.select(sa.func.count()).select_from(UnitLog)).scalar_one()
            states = {str(n.uuid): n.state for n in db.session.execute(sa.select(UnitNode)).scalars()}
        values_ok = sum(1 for node, value in last_value.items() if states.get(node) == value)
        persisted = consumer.counters.committed
        c = consumer.counters
        print(f"units={args.units} messages={total} (logs {expected_logs}, node values "
              f"{total - expected_logs - args.units}, states {args.units}) publishers={args.publishers} QoS 1")
        print(f"published (broker PUBACK): {published} in {t_published:.2f}s = {published / t_published:,.0f} msg/s")
        print("mode: " + ("backlog (everything received first, then the drain is timed alone)" if args.backlog
                          else "live (publishing and consuming at the same time)"))
        print(f"persisted by the consumer: {persisted} in {elapsed:.2f}s = {persisted / elapsed:,.0f} msg/s "
              f"({c.batches} batches, {c.rejected} rejected, {c.throttled} throttled)")
        print(f"lost: {published - persisted}")
        print(f"check: log rows {rows}/{expected_logs}; node last values correct {values_ok}/{len(last_value)}")
        print(f"raw broker relay to a plain QoS-1 subscriber: {relayed} msgs in {relay_span:.2f}s = "
              f"{relayed / max(relay_span, 1e-9):,.0f} msg/s")


def per_topic(units, domain, per_unit, log_share) -> dict[str, list[str]]:
    """One line list per topic (a C publisher each): every unit's log topic and its output node."""
    by_topic: dict[str, list[str]] = {}
    for i, u in enumerate(units):
        logs = by_topic.setdefault(f"{domain}/output_base_topic/{u['unit']}/log/pepeunit", [])
        values = by_topic.setdefault(f"{domain}/{u['output']}/pepeunit", [])
        for seq in range(per_unit):
            if (seq * 7919) % 100 < log_share * 100:
                logs.append(json.dumps({"level": "Info", "text": f"u{i} line {seq}"}))
            else:
                values.append(f"u{i}-{seq}")
    return {topic: lines for topic, lines in by_topic.items() if lines}


def run_processes(args) -> None:
    with bench_stack() as (env, app):
        domain = env["PU_DOMAIN"]
        units = make_units(app, args.units)
        by_topic = per_topic(units, domain, args.messages, args.log_share)
        total = sum(len(lines) for lines in by_topic.values())
        expected_logs = sum(len(lines) for topic, lines in by_topic.items() if topic.endswith("/log/pepeunit"))
        consumers = args.consumers if args.mode == "shared" else 1
        run = consumer_processes.run(env, by_topic, [f"{domain}/+/+/+/pepeunit", f"{domain}/+/pepeunit"],
                                     args.mode, consumers)
        with app.app_context():
            rows = db.session.execute(sa.select(sa.func.count()).select_from(UnitLog)).scalar_one()
        persisted = sum(run.committed.values())
        relayed, relay_span, _, _ = run.relay
        print(f"mode={args.mode} consumers={consumers} units={args.units} messages={total} (logs {expected_logs}) "
              f"C publishers={len(by_topic)} (mosquitto_pub -l, QoS 1), live")
        print(f"published: {total} in {run.publish_seconds:.2f}s = {total / run.publish_seconds:,.0f} msg/s"
              + ("" if run.published == total else " (a publisher FAILED)"))
        print(f"stored by the consumers: {persisted} in {run.drain_seconds:.2f}s = "
              f"{persisted / run.drain_seconds:,.0f} msg/s; per consumer {sorted(run.committed.values())}")
        print(f"lost: {total - persisted}; log rows {rows}/{expected_logs}")
        print(f"raw broker relay to a plain C QoS-1 subscriber (mosquitto_sub): {relayed} msgs in "
              f"{relay_span:.2f}s = {relayed / max(relay_span, 1e-9):,.0f} msg/s")


if __name__ == "__main__":
    main()
