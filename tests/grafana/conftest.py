"""Grafana fixtures: the Grafana API stand-in, the settings that turn the integration on, the
backend served over real HTTP (for the OAuth 2 client), and a user's world of nodes with pipe data."""
from __future__ import annotations

import dataclasses
import threading

import pytest
from werkzeug.serving import make_server

from pepeunit.extensions import db
from tests import world
from tests.processes import free_port

from .doors import DOORS
from .grafana_standin import ADMIN_PASSWORD, ADMIN_USER, GrafanaStandIn
from .pipes import PanelWorld, build_panel_world

OIDC_SECRET = "grafana-oidc-secret"


@pytest.fixture(scope="session")
def grafana_standin():
    standin = GrafanaStandIn().start()
    yield standin
    standin.stop()


def _set(app, monkeypatch, **values):
    monkeypatch.setitem(app.config, "PU_SETTINGS", dataclasses.replace(app.config["PU_SETTINGS"], **values))


@pytest.fixture
def grafana(app, monkeypatch, grafana_standin) -> GrafanaStandIn:
    """The integration on, talking to a fresh stand-in."""
    grafana_standin.reset()
    _set(app, monkeypatch, PU_FF_GRAFANA_INTEGRATION_ENABLE=True, PU_GRAFANA_URL=grafana_standin.url,
         PU_GRAFANA_ADMIN_USER=ADMIN_USER, PU_GRAFANA_ADMIN_PASSWORD=ADMIN_PASSWORD,
         PU_GRAFANA_OIDC_CLIENT_SECRET=OIDC_SECRET, PU_GRAFANA_API_TIMEOUT_SECONDS=2)
    return grafana_standin


@pytest.fixture
def set_settings(app, monkeypatch):
    """``set_settings(PU_X=...)`` changes this test's settings."""
    return lambda **values: _set(app, monkeypatch, **values)


@pytest.fixture(scope="session")
def backend_url(app):
    """The app served over real HTTP in a thread (the OAuth 2 client and the browser need sockets)."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def panel_world(app, grafana) -> PanelWorld:
    with app.app_context():
        built = build_panel_world(app.config["PU_SETTINGS"])
        db.session.commit()
        return built


@pytest.fixture
def users(app):
    """Two users (owner, stranger): uuid and token of each (with ``grafana`` requested first, sign-up
    sets their orgs up in the stand-in)."""
    with app.app_context():
        settings = app.config["PU_SETTINGS"]
        owner, stranger = world.user(), world.user()
        return {"owner": (str(owner.uuid), world.user_token(owner, settings)),
                "stranger": (str(stranger.uuid), world.user_token(stranger, settings))}


@pytest.fixture(params=sorted(DOORS))
def door(request, client):
    return DOORS[request.param](client)
