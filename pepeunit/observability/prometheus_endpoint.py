"""``GET {PU_APP_PREFIX}/metrics``: the Prometheus text exposition, only with ``PU_FF_PROMETHEUS_ENABLE``
(otherwise the route does not exist: 404, as in v1.2 where it is not mounted).

Under gunicorn (``PROMETHEUS_MULTIPROC_DIR`` set by ``gunicorn.conf.py``) one scrape answers the
sum over every worker, live or exited, from the files the workers write; gauges of exited
workers are dropped by ``mark_process_dead`` in the master's ``child_exit``. Without that
variable (a single process) it answers this process's own registry.
"""
from __future__ import annotations

import os

from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ..extensions import get_settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def exposition() -> bytes:
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def prometheus_metrics():
    return Response(exposition(), mimetype=None, headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    settings = get_settings(app)
    if settings.PU_FF_PROMETHEUS_ENABLE:
        app.add_url_rule(settings.PU_APP_PREFIX + "/metrics", "prometheus_metrics", prometheus_metrics,
                         methods=["GET"])
