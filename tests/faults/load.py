"""Steady load for the fault tests and the soak: units publishing unique log lines at QoS 1, and a
thread of REST and GraphQL calls whose every answer (status, type, time) is kept.

``Units`` keeps each message's text with its client and message id: a message counts as acknowledged
only when the broker's PUBACK for that id came back (``on_publish``), so a broker outage's unacknowledged
messages are never held against the backend. Each text is unique (tag, unit, sequence number), so
the rows in ``unit_logs`` show a loss or a duplicate by content.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time

import paho.mqtt.client as mqtt
import requests

from pepeunit.broker import topics

API = "/pepeunit/api/v1"
GRAPHQL = "/pepeunit/graphql"


class Units:
    """One paho client per unit (username: its token), each publishing a log line every ``interval`` s."""

    def __init__(self, port: int, domain: str, units: list[tuple[str, str]], tag: str, interval: float = 0.25):
        self.port, self.domain, self.units, self.tag, self.interval = port, domain, units, tag, interval
        self.sent: list[tuple[str, int, int]] = []  # (text, client index, mid)
        self.acked: list[set[int]] = [set() for _ in units]  # per client: the mids the broker acknowledged
        self._lock = threading.Lock()
        self._halt = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: list[mqtt.Client] = []

    def start(self) -> "Units":
        for index, (unit_uuid, token) in enumerate(self.units):
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{self.tag}-{index}",
                                 protocol=mqtt.MQTTv311)
            client.username_pw_set(token, "")
            client.max_inflight_messages_set(1000)
            client.reconnect_delay_set(min_delay=1, max_delay=2)
            client.on_publish = lambda _c, _u, mid, _rc, _p, acked=self.acked[index]: acked.add(mid)
            client.connect_async("127.0.0.1", self.port, keepalive=10)
            client.loop_start()
            self._clients.append(client)
            thread = threading.Thread(target=self._publish, args=(client, index, unit_uuid), daemon=True)
            self._threads.append(thread)
        for thread in self._threads:
            thread.start()
        return self

    def _publish(self, client: mqtt.Client, index: int, unit_uuid: str) -> None:
        topic = topics.base_topic(self.domain, topics.OUTPUT_BASE, unit_uuid, topics.LOG)
        sequence = 0
        while not self._halt.wait(self.interval):
            text = f"{self.tag}-{index}-{sequence}"
            sequence += 1
            with self._lock:
                info = client.publish(topic, json.dumps({"level": "Info", "text": text}), qos=1)
                self.sent.append((text, index, info.mid))

    def stop(self, settle: float = 20.0) -> None:
        """Stop publishing, give the in-flight messages ``settle`` s to be acknowledged, disconnect."""
        self._halt.set()
        for thread in self._threads:
            thread.join(5)
        end = time.monotonic() + settle
        while time.monotonic() < end and len(self.acknowledged()) < len(self.sent):
            time.sleep(0.1)
        for client in self._clients:
            client.disconnect()
            client.loop_stop()

    def acknowledged(self) -> set[str]:
        with self._lock:
            return {text for text, index, mid in self.sent if mid in self.acked[index]}

    def texts(self) -> set[str]:
        with self._lock:
            return {text for text, _, _ in self.sent}


@dataclasses.dataclass
class Answer:
    at: float  # time.monotonic() when sent
    what: str
    status: int  # 0: no answer (connection error or client timeout)
    seconds: float
    json_body: bool
    body: str


class RestLoad(threading.Thread):
    """GET /units, POST /users/auth, a verification link (Redis) and a GraphQL query in turn, as fast as the server answers."""

    def __init__(self, url: str, login: str, password: str, token: str, pause: float = 0.05,
                 client_timeout: float = 60.0):
        super().__init__(daemon=True)
        self.url, self.pause, self.client_timeout = url, pause, client_timeout
        self.calls = [
            ("GET /units", "get", API + "/units", {"headers": {"x-auth-token": token}}),
            ("POST /users/auth", "post", API + "/users/auth", {"json": {"credentials": login, "password": password}}),
            ("GET /users/generate_verification_link", "get", API + "/users/generate_verification_link/",
             {"headers": {"x-auth-token": token}}),  # writes to Redis
            ("GraphQL getUnits", "post", GRAPHQL, {"json": {"query": "{ getUnits(filters: {}) { count } }"},
                                                    "headers": {"x-auth-token": token}}),
        ]
        self.answers: list[Answer] = []
        self._halt = threading.Event()

    def run(self) -> None:
        session = requests.Session()
        turn = 0
        while not self._halt.is_set():
            what, method, path, kwargs = self.calls[turn % len(self.calls)]
            turn += 1
            self.answers.append(self.call(session, what, method, path, kwargs))
            self._halt.wait(self.pause)

    def call(self, session, what, method, path, kwargs) -> Answer:
        started = time.monotonic()
        try:
            response = session.request(method, self.url + path, timeout=self.client_timeout, **kwargs)
        except requests.RequestException as exc:
            return Answer(started, what, 0, time.monotonic() - started, False, repr(exc))
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        return Answer(started, what, response.status_code, time.monotonic() - started, is_json, response.text[:300])

    def stop(self) -> None:
        self._halt.set()
        self.join(self.client_timeout + 5)
