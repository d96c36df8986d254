"""DataPipe config fixtures: a door (each test runs over REST and GraphQL), a small world of nodes, flags."""
from __future__ import annotations

import dataclasses

import pytest

from pepeunit.extensions import db
from pepeunit.models import UnitNodeTypeEnum, VisibilityLevel
from tests import world

from .doors import DOORS


@pytest.fixture(params=sorted(DOORS))
def door(request, client):
    return DOORS[request.param](client)


@pytest.fixture
def flags(app, monkeypatch):
    """``flags(PU_FF_DATAPIPE_ENABLE=False, ...)`` changes this test's settings."""
    def set_flags(**values):
        monkeypatch.setitem(app.config, "PU_SETTINGS", dataclasses.replace(app.config["PU_SETTINGS"], **values))
    return set_flags


@dataclasses.dataclass
class PipeWorld:
    tokens: dict      # owner, stranger, unit -> token (anonymous: None)
    public: str       # the owner's Public node with an active, empty pipe
    private: str      # the owner's Private node with an active, empty pipe
    inactive: str     # the owner's Public node with the pipe off


@pytest.fixture
def pipe_world(app) -> PipeWorld:
    with app.app_context():
        settings = app.config["PU_SETTINGS"]
        owner, stranger = world.user(), world.user()
        unit = world.unit(owner, bare=True, grants=True)
        public = world.node(unit, topic="public/pepeunit", grants=True)
        private = world.node(unit, UnitNodeTypeEnum.INPUT, "private/pepeunit", VisibilityLevel.PRIVATE, grants=True)
        inactive = world.node(unit, topic="off/pepeunit", grants=True)
        public.is_data_pipe_active = private.is_data_pipe_active = True
        db.session.commit()
        return PipeWorld(
            tokens={"owner": world.user_token(owner, settings), "stranger": world.user_token(stranger, settings),
                    "unit": world.unit_token(unit, settings)},
            public=str(public.uuid), private=str(private.uuid), inactive=str(inactive.uuid))
