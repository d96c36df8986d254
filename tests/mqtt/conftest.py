"""MQTT tests run the backend's consumer: forget its broker session when the run ends."""
import pytest


@pytest.fixture(autouse=True)
def _forget_backend_session_at_end(forget_backend_session):
    """Requests the session-wide ``forget_backend_session`` (tests/conftest.py) for every test here."""
