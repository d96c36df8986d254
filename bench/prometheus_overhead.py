"""What the Prometheus instrumentation adds to one request: a Flask-routed request's HTTP counter and
histogram (``record_http``), and the broker hook's four series (HTTP and decision counter and
histogram, resolved once), timed in prometheus_client's multiprocess mode (mmap files, as under
gunicorn) and in its in-memory mode.

    .venv/bin/python -m bench.prometheus_overhead [calls]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys, time
from pepeunit.observability import prometheus_metrics as figures
from pepeunit.observability.request_context import record_http
calls = int(sys.argv[1])
route = "/pepeunit/api/v1/units/auth"
started = time.perf_counter()
for _ in range(calls):  # every Flask-routed request: record_http (its series cached by label set)
    record_http(route, "POST", 200, 0.0012)
flask_path = (time.perf_counter() - started) / calls * 1e6
requests, latency = figures.HTTP_REQUESTS.labels(route, "POST", "200"), figures.HTTP_LATENCY.labels(route, "POST")
decisions, decision_latency = figures.MQTT_AUTH_DECISIONS.labels("allow"), figures.MQTT_AUTH_LATENCY.labels("allow")
started = time.perf_counter()
for _ in range(calls):  # the hook's fast path: series resolved once
    requests.inc(); latency.observe(0.0012); decisions.inc(); decision_latency.observe(0.0011)
print(f"{flask_path:.2f} {(time.perf_counter() - started) / calls * 1e6:.2f}")
"""


def run(calls: int, multiproc_dir: str | None) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    out = subprocess.run([sys.executable, "-c", CHILD, str(calls)], env=env, capture_output=True, text=True,
                         check=True)
    return [float(value) for value in out.stdout.split()]


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-prometheus-") as directory:
        started = time.perf_counter()
        multiprocess = run(calls, directory)
        in_memory = run(calls, None)
    print(f"{calls} requests' worth of instrumentation ({time.perf_counter() - started:.1f}s in all), us per request:")
    print("                               Flask request (record_http)       hook fast path (4 series, resolved once)")
    print(f"  multiprocess mode (gunicorn): {multiprocess[0]:>8.2f}                          {multiprocess[1]:>8.2f}")
    print(f"  in-memory mode:               {in_memory[0]:>8.2f}                          {in_memory[1]:>8.2f}")


if __name__ == "__main__":
    main()
