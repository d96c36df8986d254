"""MQTT test plumbing: a publisher on the real Mosquitto, and a clean broker session afterwards."""
from __future__ import annotations

import uuid

import paho.mqtt.client as mqtt
import pytest

from pepeunit.broker.identity import backend_client_id


@pytest.fixture
def publisher():
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def publish_all(client, messages, qos=1):
    """Publish (topic, payload) pairs and wait until the broker acknowledged every one."""
    infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(10)
        assert info.is_published()


@pytest.fixture(scope="session", autouse=True)
def forget_backend_session(settings):
    """Drop this run's persistent consumer session from Mosquitto when the run ends."""
    yield
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=backend_client_id(settings),
                         protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", 1883, clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()
