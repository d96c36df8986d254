"""Per request: a request id (``X-Request-ID``), its log context, and the HTTP figures.

The id is the proxy's ``X-Request-ID`` when it is sane (1-128 of ``A-Z a-z 0-9 . _ : + = / -``),
else a new one; it is echoed in the answer's ``X-Request-ID`` and bound to every log line of
the request. The route label is the URL rule's template (``/pepeunit/api/v1/units/{uuid}``),
``<unmatched>`` when no rule matched, so the label set stays bounded whatever clients send.
"""
from __future__ import annotations

import re
import time
import uuid

from flask import Flask, g, request

from . import log_context
from . import prometheus_metrics as figures

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
_RULE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def request_id_from(sent: str | None) -> str:
    """The proxy's id when it is sane, else a fresh one (a hostile header never reaches the logs)."""
    if sent and _SANE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def route_template(rule: str) -> str:
    """``/units/<uuid:uuid>`` -> ``/units/{uuid}``."""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


_series: dict[tuple, tuple] = {}  # (route, method, status) -> its two series; bounded like the labels


def record_http(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request. A series is looked up once per label set: ``labels()`` per call
    costs more than the increment itself (bench/prometheus_overhead.py)."""
    key = (route, method, status)
    series = _series.get(key)
    if series is None:
        series = _series[key] = (figures.HTTP_REQUESTS.labels(route, method, str(status)),
                                 figures.HTTP_LATENCY.labels(route, method))
    series[0].inc()
    series[1].observe(seconds)


def _start() -> None:
    g.pepeunit_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(HEADER))
    rule = request.url_rule
    g.pepeunit_route = route_template(rule.rule) if rule is not None else figures.UNMATCHED_ROUTE
    g.pepeunit_log_token = log_context.start(request_id=g.request_id, route=g.pepeunit_route)


def _finish(response):
    started = g.get("pepeunit_started")
    if started is None:  # a request whose before_request hooks never ran
        return response
    response.headers[HEADER] = g.request_id
    # gunicorn's access line is written after the request context is gone: it reads this environ key.
    request.environ["pepeunit.log_context"] = dict(log_context.current())
    record_http(g.pepeunit_route, request.method, response.status_code, time.perf_counter() - started)
    return response


def _forget(_error=None) -> None:
    token = g.pop("pepeunit_log_token", None)
    if token is not None:
        try:
            log_context.reset(token)
        except ValueError:  # reset from another context (a copied one): start clean instead
            log_context.start()


def init_app(app: Flask) -> None:
    # First of the before_request hooks, so the id and the clock cover everything after it.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.teardown_request(_forget)
