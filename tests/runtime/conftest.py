"""The MQTT fixtures are shared with tests/mqtt."""
from ..mqtt.conftest import forget_backend_session, publisher  # noqa: F401
