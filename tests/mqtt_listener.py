"""Watch the real broker from a test: subscribe with paho and collect what arrives."""
from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


class Listener:
    def __init__(self, topic_filter: str, host: str = "127.0.0.1", port: int = 1883):
        self.messages: list[tuple[str, bytes]] = []
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic_filter, qos=0)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("could not subscribe to the test broker")

    def _on_message(self, client, userdata, message):
        with self._changed:
            self.messages.append((message.topic, message.payload))
            self._changed.notify_all()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.messages) < count and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            return list(self.messages)

    def settle(self, seconds: float = 0.5) -> list[tuple[str, bytes]]:
        """Everything that arrived after waiting ``seconds`` (to show nothing more came)."""
        time.sleep(seconds)
        with self._changed:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
