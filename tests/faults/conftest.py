"""One private stack (PostgreSQL, Redis, Mosquitto, gunicorn) for every fault scenario of the module:
the scenarios run in order on it, each recovering without a restart, which is part of what they test."""
import pytest

from tests.faults.stack import running_stack


@pytest.fixture(scope="module")
def stack():
    with running_stack() as running:
        yield running
