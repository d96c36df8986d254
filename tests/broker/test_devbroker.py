"""The dev broker (amqtt + our plugin) enforces the hook, with the backend under real gunicorn."""
from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
import pytest
import requests
import sqlalchemy as sa

from pepeunit.broker import topics
from pepeunit.extensions import db
from pepeunit.models import UnitLog
from pepeunit.models import UnitNodeTypeEnum as T

from .. import world
from ..helpers import make_test_environ, wait_until
from ..processes import backend_with_dev_broker


class Client:
    def __init__(self, port, token, client_id):
        self.messages: list[tuple[str, bytes]] = []
        self.connack = threading.Event()
        self.reason = None
        self.suback: list = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        if token is not None:
            self.client.username_pw_set(token, "")
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload))
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.suback.append([x.value for x in codes])
        self.client.reconnect_delay_set(30, 60)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.connack.wait(10)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.reason = reason_code
        self.connack.set()

    def subscribe(self, topic):
        count = len(self.suback)
        self.client.subscribe(topic, qos=1)
        assert wait_until(lambda: len(self.suback) > count, 10)
        return self.suback[-1][0]

    def publish(self, topic, payload):
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(10)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def stack(app, database_url, redis_url):
    with backend_with_dev_broker(make_test_environ(database_url, redis_url)) as (port, server):
        yield port, server


def test_dev_broker_enforces_the_hook(app, settings, stack):
    port, server = stack
    with app.app_context():
        owner = world.user(bare=True)
        a, b, c = world.unit(owner, bare=True), world.unit(owner, bare=True), world.unit(owner, bare=True)
        a_out = world.node(a, T.OUTPUT, "out/pepeunit")
        b_in = world.node(b, T.INPUT, "in/pepeunit")
        c_in = world.node(c, T.INPUT, "in/pepeunit")
        world.edge(a_out, b_in, bare=True)
        db.session.commit()
        tokens = {name: world.unit_token(u, settings) for name, u in (("a", a), ("b", b))}
        user_token = world.user_token(owner, settings)
        d = settings.PU_DOMAIN
        t_a_out, t_b_in, t_c_in = f"{d}/{a_out.uuid}/pepeunit", f"{d}/{b_in.uuid}/pepeunit", f"{d}/{c_in.uuid}/pepeunit"
        a_uuid = a.uuid

    refused = Client(port, user_token, "user-client")
    assert refused.reason.is_failure
    refused.close()
    anonymous = Client(port, None, "anon")
    assert anonymous.reason.is_failure
    anonymous.close()

    unit_a, unit_b = Client(port, tokens["a"], str(a_uuid)), Client(port, tokens["b"], "b-client")
    try:
        assert not unit_a.reason.is_failure and not unit_b.reason.is_failure
        assert unit_b.subscribe(t_b_in) == 1
        assert unit_b.subscribe(t_a_out) == 1  # linked output
        assert unit_b.subscribe(t_c_in) == 0x80  # another unit's input
        assert unit_b.subscribe(f"{d}/+/pepeunit") == 0x80

        unit_a.publish(t_b_in, "spoofed input")  # into another unit's input: refused by the broker
        unit_a.publish(t_a_out, "42")  # own output, delivered along the edge
        assert wait_until(lambda: (t_a_out, b"42") in unit_b.messages, 10)
        assert all(payload != b"spoofed input" for _, payload in unit_b.messages)

        # The backend's consumer connected through the same broker (MQTT 3.1.1 fallback) and stores logs.
        assert wait_until(lambda: "MQTT subscribed" in server.output(), 30), server.output()
        log_topic = topics.base_topic(d, topics.OUTPUT_BASE, a_uuid, topics.LOG)
        unit_a.publish(log_topic, json.dumps({"level": "Info", "text": "via dev broker"}))

        def stored():
            with app.app_context():
                db.session.remove()
                return db.session.execute(sa.select(UnitLog.text).where(UnitLog.unit_uuid == a_uuid)).scalars().all()

        assert wait_until(lambda: stored() == ["via dev broker"], 20), server.output()
    finally:
        unit_a.close()
        unit_b.close()


def test_a_single_thread_worker_publishes_right_after_start(app, settings, database_url, redis_url):
    """The dev broker asks our hook on CONNECT, so a worker's publisher must not make its first
    connection from inside a request: with one worker of one thread, the hook call would queue
    behind that very request and the publish would time out ("MQTT client is disconnected")."""
    with app.app_context():
        owner = world.user(bare=True)
        unit = world.unit(owner, bare=True)
        unit_in = world.node(unit, T.INPUT, "in/pepeunit")
        db.session.commit()
        node_uuid, token = unit_in.uuid, world.unit_token(unit, settings)
        user_token = world.user_token(owner, settings)
    environ = make_test_environ(database_url, redis_url)
    with backend_with_dev_broker(environ, workers=1, threads=1) as (port, server):
        assert wait_until(lambda: "MQTT subscribed" in server.output(), 30), server.output()
        device = Client(port, token, "device")
        try:
            topic = f"{settings.PU_DOMAIN}/{node_uuid}/pepeunit"
            assert device.subscribe(topic) == 1
            response = requests.patch(f"{server.url}/pepeunit/api/v1/unit_nodes/set_state_input/{node_uuid}",
                                      json={"state": "on"}, headers={"x-auth-token": user_token}, timeout=30)
            assert response.status_code == 200, response.text
            assert wait_until(lambda: (topic, b"on") in device.messages, 10), device.messages
        finally:
            device.close()
