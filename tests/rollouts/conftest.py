import uuid as uuid_module

import pytest

from pepeunit.services.target_version import repo_target, unit_source
from tests.mqtt_listener import Listener
from tests.rollouts.fleet import Fleet


def _fleet(unit_world, count: int) -> Fleet:
    uuids = [uuid_module.UUID(unit_world.create_unit(f"fleet-{i}")["uuid"]) for i in range(count)]
    with unit_world.app.app_context():
        from pepeunit.extensions import db
        from pepeunit.models import Repo, Unit

        v1 = repo_target(db.session.get(Repo, unit_world.repo_uuid)).commit
        assert all(unit_source(db.session.get(Unit, u)).version.commit == v1 for u in uuids)
        fleet = Fleet(unit_world, uuids, v1)
        fleet.report(uuids, v1)
    return fleet


@pytest.fixture
def fleet(unit_world) -> Fleet:
    """8 auto-updating units of one repo, all reporting version 1 (the first commit)."""
    return _fleet(unit_world, 8)


@pytest.fixture
def updates(settings):
    """Every Update (or other command) the backend publishes to units, as seen on the real broker."""
    with Listener(f"{settings.PU_DOMAIN}/input_base_topic/+/update/pepeunit") as listener:
        yield listener
