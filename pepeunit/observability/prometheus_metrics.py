"""Every Prometheus family of the backend, defined once; the code at each seam only records.

In a gunicorn deployment ``PROMETHEUS_MULTIPROC_DIR`` is set by ``gunicorn.conf.py`` before any
worker imports this module, so each process writes its values to files there and a scrape sums
them over all workers (``prometheus_endpoint``). Elsewhere (tests, CLI) values live in memory.

Labels are bounded sets: route templates (``/pepeunit/api/v1/units/{uuid}``), never raw paths
or uuids; a handful of fixed words for outcomes and reasons. Names all start ``pepeunit_``.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds; from a cached 1 ms hook answer to a slow git clone behind a request.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)

# --- HTTP (REST, GraphQL, the broker's auth hook, the metrics route itself) --------------------------
HTTP_REQUESTS = Counter(
    "pepeunit_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "pepeunit_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method.",
    ["route", "method"], buckets=LATENCY_BUCKETS)
UNMATCHED_ROUTE = "<unmatched>"  # the route label of a request no rule matched (404, 405)

GRAPHQL_OPERATIONS = Counter(
    "pepeunit_graphql_operations", "GraphQL operations executed, by operation type and outcome (ok, error).",
    ["operation_type", "outcome"])
GRAPHQL_LATENCY = Histogram(
    "pepeunit_graphql_operation_duration_seconds", "Time to execute a GraphQL operation, by operation type.",
    ["operation_type"], buckets=LATENCY_BUCKETS)

MQTT_AUTH_DECISIONS = Counter(
    "pepeunit_mqtt_auth_decisions", "Answers of the broker's auth hook (POST .../units/auth), by decision.",
    ["decision"])
MQTT_AUTH_LATENCY = Histogram(
    "pepeunit_mqtt_auth_duration_seconds", "Time to decide one broker auth hook call, by decision.",
    ["decision"], buckets=LATENCY_BUCKETS)

# --- MQTT consumer (the leader's) ---------------------------------------------------------------------
MQTT_RECEIVED = Counter("pepeunit_mqtt_messages_received", "MQTT messages the consumer took from the broker.")
MQTT_PERSISTED = Counter("pepeunit_mqtt_messages_persisted",
                         "Accepted MQTT messages whose batch was committed to PostgreSQL.")
MQTT_DROPPED = Counter(
    "pepeunit_mqtt_messages_dropped",
    "MQTT messages not stored, by reason (rejected, throttled, ignored, unstorable).", ["reason"])
MQTT_BATCH_SIZE = Histogram("pepeunit_mqtt_batch_size", "Messages per consumer batch.",
                            buckets=BATCH_SIZE_BUCKETS)
MQTT_COMMIT_LATENCY = Histogram("pepeunit_mqtt_batch_commit_duration_seconds",
                                "Time to write and commit one consumer batch.", buckets=LATENCY_BUCKETS)
LEASE_HELD = Gauge(
    "pepeunit_lease_held", "1 while this process holds the lease (leader: MQTT consumer and jobs; telegram).",
    ["lease"], multiprocess_mode="liveall")

# --- DataPipe, Telegram, scheduled jobs, firmware ------------------------------------------------------
DATAPIPE_ROWS = Counter("pepeunit_datapipe_values_written",
                        "Node values a DataPipe pipe stored (committed), by processing policy.", ["policy"])
DATAPIPE_DROPPED = Counter("pepeunit_datapipe_values_dropped",
                           "Node values a DataPipe pipe filtered out (committed batches), by reason.", ["reason"])
TELEGRAM_UPDATES = Counter("pepeunit_telegram_updates", "Telegram updates handled, by outcome (ok, failed, unreadable).",
                           ["outcome"])
JOB_RUNS = Counter("pepeunit_scheduled_job_runs", "Runs of the leader's scheduled jobs, by job.", ["job"])
JOB_FAILURES = Counter("pepeunit_scheduled_job_failures", "Scheduled job runs that raised, by job.", ["job"])
FIRMWARE_UPDATES = Counter(
    "pepeunit_firmware_updates",
    "Firmware updates of units, by outcome (sent; unsent: the Update command could not be published; failed).",
    ["outcome"])
