"""Publishing to the broker from any worker, thread or process.

One paho-mqtt client per process, connected with the backend's own JWT as
username and an empty password, its network loop in a background thread. Each
gunicorn worker connects it when it starts (``connect_early``); elsewhere it is
created on first use (and again after a fork).

Why at start: a broker that asks our HTTP hook on CONNECT (the dev broker does)
sends that request to the backend itself. Made from inside a request on a worker
with one thread, the hook call would wait in that worker's queue behind the very
request waiting for the connection, and the publish would time out. ``publish`` waits a bounded time for
the connection and for the message to leave; every failure becomes
``MqttError("Error when publish message to topic <t>: <reason>")``.

Broker outage: once a connection attempt has failed or the connection dropped, the client
keeps reconnecting in the background and ``publish`` answers at once with
``ServiceUnavailableError`` (503, ``Retry-After``) instead of holding the worker for
``CONNECT_WAIT``; requests that do not publish never touch the broker. Only a client created
by the publish itself (no worker start, e.g. a CLI) waits up to ``CONNECT_WAIT`` for its
first connection.
"""
from __future__ import annotations

import logging
import os
import threading
import uuid as uuid_module

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from ..errors import MqttError, ServiceUnavailableError
from .identity import BACKEND_CLIENT_PREFIX, issue_backend_token

log = logging.getLogger(__name__)

CONNECT_WAIT = 5.0  # seconds a publish waits for a (re)connection
PUBLISH_WAIT = 5.0  # seconds a publish waits for the message to be written out

DISCONNECTED = "MQTT client is disconnected"
TIMED_OUT = "publish timed out (MQTT loop busy or stopped)"
BROKER_DOWN = "MQTT broker is unreachable, message to topic {} not sent; retry later"


class Publisher:
    """A lazily connected client for one broker identity."""

    def __init__(self, host: str, port: int, username: str, keepalive: int = 60):
        self.host, self.port, self.username, self.keepalive = host, port, username, keepalive
        self._client: paho.Client | None = None
        self._connected = threading.Event()
        self._down = threading.Event()  # a connection attempt failed or the connection dropped
        self._lock = threading.Lock()
        self._pid = os.getpid()

    # --- connection ---------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            self._down.clear()
            self._connected.set()
        else:
            self._down.set()
            log.warning("MQTT connect refused: %s", reason_code)

    def _on_connect_fail(self, client, userdata):
        self._down.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self._connected.clear()
        self._down.set()

    @property
    def known_down(self) -> bool:
        """Whether the broker is known unreachable (the client is reconnecting in the background)."""
        return self._down.is_set() and not self._connected.is_set()

    def _ensure_client(self) -> tuple[paho.Client, bool]:
        """The client, and whether this call created it."""
        with self._lock:
            if self._client is not None and self._pid != os.getpid():
                self._client, self._pid = None, os.getpid()  # a forked child gets its own connection
                self._connected.clear()
                self._down.clear()
            created = self._client is None
            if created:
                client = paho.Client(
                    CallbackAPIVersion.VERSION2,
                    client_id=f"{BACKEND_CLIENT_PREFIX}{uuid_module.uuid4().hex}",
                    protocol=paho.MQTTv311,
                    clean_session=True,
                )
                client.username_pw_set(self.username, "")
                client.on_connect = self._on_connect
                client.on_disconnect = self._on_disconnect
                client.on_connect_fail = self._on_connect_fail
                client.reconnect_delay_set(min_delay=1, max_delay=6)
                client.connect_async(self.host, self.port, keepalive=self.keepalive)
                client.loop_start()
                self._client = client
            return self._client, created

    def connect_early(self) -> None:
        """Start connecting now, in the background; publishing later finds the client ready."""
        self._ensure_client()

    # --- sending ------------------------------------------------------------
    def publish(self, topic: str, payload: str | bytes) -> None:
        def fail(reason: str) -> MqttError:
            return MqttError(f"Error when publish message to topic {topic}: {reason}")

        client, created = self._ensure_client()
        if not created and self.known_down:
            raise ServiceUnavailableError(BROKER_DOWN.format(topic))
        if not self._connected.wait(CONNECT_WAIT):
            raise fail(DISCONNECTED)
        try:
            info = client.publish(topic, payload, qos=0, retain=False)
        except (ValueError, TypeError) as exc:
            raise fail(str(exc)) from None
        if info.rc == paho.MQTT_ERR_NO_CONN:
            raise fail(DISCONNECTED)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise fail(paho.error_string(info.rc))
        try:
            info.wait_for_publish(PUBLISH_WAIT)
        except RuntimeError as exc:  # paho raises when the connection drops meanwhile
            raise fail(str(exc) or DISCONNECTED) from None
        if not info.is_published():
            raise fail(TIMED_OUT)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.disconnect()
                self._client.loop_stop()
                self._client = None
                self._connected.clear()
                self._down.clear()


_publishers: dict[tuple, Publisher] = {}
_registry_lock = threading.Lock()


def get_publisher(settings) -> Publisher:
    """The process-wide publisher for ``settings``' broker and identity."""
    username = issue_backend_token(settings)
    key = (settings.PU_MQTT_HOST, settings.PU_MQTT_PORT, username)
    with _registry_lock:
        publisher = _publishers.get(key)
        if publisher is None:
            publisher = Publisher(settings.PU_MQTT_HOST, settings.PU_MQTT_PORT, username,
                                  settings.PU_MQTT_KEEPALIVE)
            _publishers[key] = publisher
        return publisher


def connect_early(settings) -> None:
    """Connect this process's publisher in the background (called when a worker starts)."""
    get_publisher(settings).connect_early()


def publish(settings, topic: str, payload: str | bytes) -> None:
    get_publisher(settings).publish(topic, payload)
