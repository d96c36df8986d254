"""The backend's MQTT consumer: one per deployment, run by the elected leader (``leader`` mode),
or one per worker process through a shared subscription (``shared`` mode, see below).

- paho-mqtt, username = the backend JWT, a **stable client id** and a persistent
  session (MQTT 5 ``clean_start=False`` with a session expiry; MQTT 3.1.1
  ``clean_session=False`` against brokers without v5), so a new leader resumes
  the QoS-1 messages queued while nobody was consuming;
- subscribes in ``on_connect`` (reconnects resubscribe) to ``{D}/+/+/+/pepeunit``
  and ``{D}/+/pepeunit`` at QoS 1;
- the network thread only queues messages; this thread parses them in batches,
  writes each batch in one transaction, and acknowledges (manual PUBACK) only
  after the commit: a crash before the commit means redelivery, not loss;
- each committed QoS-1 message's delivery key (client id, packet id, digest of topic and payload)
  is committed with its batch (``services.mqtt_deliveries``): when the PUBACK is lost (broker
  stopped, leader killed after the commit) the broker redelivers the message to the same session
  flagged DUP, and a DUP whose key is stored is acknowledged without being stored twice;
- run by a leader, each batch carries the leadership's fencing token (``stop.fence``) and
  the leader's deadline (``stop.expired()``) is checked before each batch: a leader past it, or
  whose batch meets a newer generation (``report_batches.Deposed``), stops and acknowledges
  nothing, so the real leader gets the messages again;
- a malformed or hostile message is logged and dropped; nothing stops the loop;
- MQTT 3.1.1 only when the broker *refuses* MQTT 5: it answers CONNACK "unsupported protocol",
  or it accepted the TCP connection and then left our v5 CONNECT unanswered (amqtt: no answer,
  no close, for ``V5_CONNACK_WAIT``) or closed it without answering ``V5_UNANSWERED_CLOSES``
  times in a row. A broker that is down (connection refused, TCP timeout) is only retried.

Shared mode is ``mqtt.shared_consumer.SharedConsumer``, this class with its own client id per
worker, the ``$share`` filters, and a graceful leave.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.exc import OperationalError

from ..broker.identity import backend_client_id, issue_backend_token
from ..extensions import db, get_settings
from ..models.columns import utcnow
from ..observability import log_context
from ..observability import prometheus_metrics as figures
from ..services import mqtt_deliveries, report_batches
from ..services.report_batches import ReportBatch
from .dispatch import dispatch
from .messages import ConsumerContext, Counters, Rejected
from .state_gate import gate_for

log = logging.getLogger(__name__)

SESSION_EXPIRY = 7 * 24 * 3600  # s the broker keeps our queue while no leader is connected
RECEIVE_MAXIMUM = 65535  # unacknowledged QoS-1 messages the broker may have in flight to us (MQTT 5 maximum)
_UNSUPPORTED_PROTOCOL = (1, 132)  # CONNACK: v3 "unacceptable protocol version", v5 "unsupported"
V5_CONNACK_WAIT = 5.0  # s without any CONNACK to a v5 CONNECT on an open socket: assume a v3.1.1-only broker
V5_UNANSWERED_CLOSES = 2  # v5 CONNECTs in a row the broker closed without a CONNACK: assume v3.1.1-only


class Consumer:
    shared = False
    session_expiry = SESSION_EXPIRY

    def __init__(self, app, batch_max: int = 5000, batch_wait: float = 0.05, *, client_id: str | None = None,
                 membership=None):
        self.app = app
        self.settings = get_settings(app)
        self.client_id = client_id or backend_client_id(self.settings)
        self.membership = membership  # shared mode: heartbeats and per-consumer counts (shared_group.Membership)
        self.unsubscribed = threading.Event()
        self.batch_max = batch_max
        self.batch_wait = batch_wait
        self.inbox: queue.Queue = queue.Queue()
        self.context = ConsumerContext(self.settings, gate_for(self.settings, self.shared))
        self.counters = Counters()
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.protocol = mqtt.MQTTv5
        self._fallback = threading.Event()
        self._attempt_at: float | None = None  # when the current attempt's TCP connection opened (no CONNACK yet)
        self._unanswered_closes = 0  # attempts in a row whose socket closed before any CONNACK
        self._broker_down = False  # an outage is being logged (once, not per retry)
        self.client: mqtt.Client | None = None

    @property
    def filters(self) -> list[str]:
        domain = self.settings.PU_DOMAIN
        return [f"{domain}/+/+/+/pepeunit", f"{domain}/+/pepeunit"]

    # --- connection (paho network thread) ---------------------------------
    def _client(self) -> mqtt.Client:
        kwargs = dict(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                      client_id=self.client_id, protocol=self.protocol, manual_ack=True)
        if self.protocol != mqtt.MQTTv5:
            kwargs["clean_session"] = False
        client = mqtt.Client(**kwargs)
        client.username_pw_set(issue_backend_token(self.settings), "")
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        client.on_connect_fail = self._on_connect_fail
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        return client

    def _connect(self) -> None:
        self._attempt_at = None
        self._unanswered_closes = 0
        self.client = self._client()
        if self.protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.session_expiry
            props.ReceiveMaximum = RECEIVE_MAXIMUM
            self.client.connect_async(self.settings.PU_MQTT_HOST, self.settings.PU_MQTT_PORT,
                                      self.settings.PU_MQTT_KEEPALIVE, clean_start=False, properties=props)
        else:
            self.client.connect_async(self.settings.PU_MQTT_HOST, self.settings.PU_MQTT_PORT,
                                      self.settings.PU_MQTT_KEEPALIVE)
        self.client.loop_start()

    def _disconnect(self, end_session: bool = False) -> None:
        """``end_session``: the session is drained, tell the broker to drop it (MQTT 5 DISCONNECT expiry 0)."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if end_session and self.protocol == mqtt.MQTTv5:
                props = Properties(PacketTypes.DISCONNECT)
                props.SessionExpiryInterval = 0
                client.disconnect(properties=props)
            else:
                client.disconnect()
        finally:
            client.loop_stop()
        self.connected.clear()
        self.subscribed.clear()

    def _on_connect_fail(self, client, userdata):
        """TCP did not connect (refused, timed out): the broker is down, which says nothing of MQTT 5."""
        if client is not self.client:
            return
        self._attempt_at = None
        if not self._broker_down:
            self._broker_down = True
            log.warning("MQTT broker %s:%s unreachable; paho retries (protocol kept: MQTT %s)",
                        self.settings.PU_MQTT_HOST, self.settings.PU_MQTT_PORT,
                        "5" if self.protocol == mqtt.MQTTv5 else "3.1.1")

    def _on_socket_open(self, client, userdata, sock):
        if client is self.client:
            self._attempt_at = time.monotonic()  # the broker took the connection; CONNECT goes out now

    def _on_socket_close(self, client, userdata, sock):
        if client is not self.client or self._attempt_at is None:
            return  # not ours, or the broker had answered CONNACK on this connection
        self._attempt_at = None
        self._unanswered_closes += 1
        if self.protocol == mqtt.MQTTv5 and self._unanswered_closes >= V5_UNANSWERED_CLOSES:
            self._fallback.set()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self._attempt_at = None  # the broker answered: it speaks this protocol version
        self._unanswered_closes = 0
        self._broker_down = False
        if reason_code.is_failure:
            log.warning("MQTT connect refused: %s", reason_code)
            if self.protocol == mqtt.MQTTv5 and reason_code.value in _UNSUPPORTED_PROTOCOL:
                self._fallback.set()
            return
        log.info("MQTT connected to %s:%s as %s (session present: %s)", self.settings.PU_MQTT_HOST,
                 self.settings.PU_MQTT_PORT, self.client_id, flags.session_present)
        self.connected.set()
        if not self.unsubscribed.is_set():  # a leaving or draining consumer takes nothing new
            client.subscribe([(topic, 1) for topic in self.filters])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if all(not code.is_failure for code in reason_codes):
            log.info("MQTT subscribed to %s", ", ".join(self.filters))
            self.subscribed.set()
        else:
            log.error("MQTT subscription refused: %s", reason_codes)

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties):
        self.unsubscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        self.subscribed.clear()
        log.warning("MQTT disconnected (%s); paho reconnects", reason_code)

    def _on_message(self, client, userdata, message):
        try:
            self.inbox.put((message._topic, message.payload, message.mid, message.qos, message.dup))
        except Exception:  # never let a callback error reach paho's loop
            log.exception("could not queue an MQTT message")

    # --- processing (this thread) -----------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; returns promptly after it is (shared mode: after leaving the group)."""
        self._connect()
        drained = False
        try:
            with self.app.app_context():
                while not stop.is_set():
                    if self._fallback.is_set() or self._v5_unanswered():
                        self._fall_back_to_v311()
                    items = self._take(stop)
                    if items:
                        self._handle(items, stop)
                drained = self._leave()
        finally:
            self._disconnect(end_session=drained)
            with self.app.app_context():
                db.session.remove()
        if drained and self.membership is not None:
            self.membership.left()

    def _v5_unanswered(self) -> bool:
        """Some v3.1.1-only brokers (amqtt) neither answer nor close on an MQTT 5 CONNECT.

        Counted from the TCP connection's opening, so time spent while the broker was down never adds up."""
        started = self._attempt_at
        return (self.protocol == mqtt.MQTTv5 and started is not None and not self.connected.is_set()
                and time.monotonic() - started > V5_CONNACK_WAIT)

    def _fall_back_to_v311(self) -> None:
        log.warning("broker refuses MQTT 5; using MQTT 3.1.1 with a persistent session")
        self._fallback.clear()
        self._disconnect()
        self.protocol = mqtt.MQTTv311
        self._connect()

    def _take(self, stop: threading.Event) -> list:
        try:
            items = [self.inbox.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_wait
        while len(items) < self.batch_max and not stop.is_set():
            remaining = deadline - time.monotonic()
            try:
                items.append(self.inbox.get_nowait() if remaining <= 0 else self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return items

    def _handle(self, items: list, stop: threading.Event) -> None:
        batch, now, counters = ReportBatch(), utcnow(), self.counters
        accepted_before = counters.accepted
        figures.MQTT_RECEIVED.inc(len(items))
        figures.MQTT_BATCH_SIZE.observe(len(items))
        delivery = self._delivery(items)
        stored_already = delivery[2]
        for raw_topic, payload, mid, _qos, _dup in items:
            counters.received += 1
            if mid in stored_already:
                counters.redelivered += 1
                continue
            with log_context.scope(mqtt_topic=raw_topic[:200].decode("utf-8", "replace")):
                outcome = self._dispatch(batch, raw_topic, payload, now)
            if outcome != "accepted":
                figures.MQTT_DROPPED.labels(outcome).inc()
            setattr(counters, outcome, getattr(counters, outcome) + 1)
        if self._deposed(stop):
            return  # past the lease's deadline: the next leader gets these messages again
        if batch and not self._write(batch, stop, delivery[:2]):
            return  # stopping before the commit: leave the messages unacknowledged for the next leader
        committed = counters.accepted - accepted_before
        counters.committed += committed
        figures.MQTT_PERSISTED.inc(committed)
        self._ack(items)
        if self.membership is not None:
            self.membership.committed(committed)

    def _delivery(self, items: list) -> tuple[str, list, set]:
        """(client id, [(packet id, digest)] of this batch's new QoS-1 messages, packet ids stored already).

        Only ``dup`` messages are looked up: a first delivery cannot have been stored."""
        keys = [(mid, mqtt_deliveries.digest(topic, payload), dup) for topic, payload, mid, qos, dup in items if qos]
        redelivered = [(mid, digest) for mid, digest, dup in keys if dup]
        done = set()
        while redelivered:
            try:
                done = mqtt_deliveries.stored_already(self.client_id, redelivered)
                break
            except OperationalError as exc:  # database away: the same wait as a batch's
                log.warning("database unavailable (%s); retrying the redelivery check", exc.orig)
                db.session.rollback()
                time.sleep(0.5)
        return self.client_id, [(mid, digest) for mid, digest, _ in keys if mid not in done], done

    def _leave(self) -> bool:
        """Shared mode (``SharedConsumer``): leave the group before disconnecting; True ends the session."""
        return False

    def _dispatch(self, batch: ReportBatch, raw_topic: bytes, payload: bytes, now) -> str:
        """One message into ``batch``: "accepted", "ignored", "throttled" or "rejected" (logged)."""
        try:
            return dispatch(self.context, batch, raw_topic.decode("utf-8"), payload, now)
        except (Rejected, UnicodeDecodeError) as exc:
            log.info("MQTT message on %r dropped: %s", raw_topic[:200], exc)
        except Exception:
            log.exception("MQTT message on %r dropped: handler failed", raw_topic[:200])
        return "rejected"

    @staticmethod
    def _deposed(stop: threading.Event) -> bool:
        """A leader's ``stop`` (``runtime.lease.Leadership``) knows its deadline; a plain event has none."""
        expired = getattr(stop, "expired", None)
        return expired() if expired is not None else False

    def _store(self, batch: ReportBatch, stop: threading.Event, delivery=None) -> None:
        started = time.perf_counter()
        stored = report_batches.store(batch, getattr(stop, "fence", None), delivery)
        figures.MQTT_COMMIT_LATENCY.observe(time.perf_counter() - started)
        for policy, count in stored.pipes.written.items():
            figures.DATAPIPE_ROWS.labels(policy).inc(count)
        for reason, count in stored.pipes.dropped.items():
            figures.DATAPIPE_DROPPED.labels(reason).inc(count)
        self.counters.states += stored.states
        self.counters.log_rows += stored.log_rows
        self.counters.node_values += stored.node_values
        self.counters.pipe_accepted += stored.pipes.accepted
        for reason, count in stored.pipes.dropped.items():
            self.counters.pipe_dropped[reason] = self.counters.pipe_dropped.get(reason, 0) + count
        self.counters.batches += 1

    def _write(self, batch: ReportBatch, stop: threading.Event, delivery=None) -> bool:
        delay = 0.5
        while True:
            try:
                self._store(batch, stop, delivery)
                return True
            except report_batches.Deposed as exc:
                log.warning("batch refused, this process is no longer the leader (%s); stopping", exc)
                stop.set()
                return False
            except OperationalError as exc:  # database away: keep the batch, retry until it is back
                log.warning("database unavailable (%s); retrying the batch in %.1fs", exc.orig, delay)
                if stop.wait(delay):
                    return False
                delay = min(delay * 2, 10.0)
            except Exception:
                log.exception("batch write failed; writing its messages one by one")
                return self._write_one_by_one(batch, stop, delivery)

    def _write_one_by_one(self, batch: ReportBatch, stop: threading.Event, delivery=None) -> bool:
        for piece in batch.one_by_one():
            try:
                self._store(piece, stop, (delivery[0], []) if delivery else None)
            except report_batches.Deposed as exc:
                log.warning("batch refused, this process is no longer the leader (%s); stopping", exc)
                stop.set()
                return False
            except Exception:
                self.counters.rejected += 1
                figures.MQTT_DROPPED.labels("unstorable").inc()
                log.exception("MQTT data dropped: it cannot be stored")
        if delivery is not None:  # after the pieces: a crash among them may store a piece twice (docs)
            self._record(delivery)
        return True

    def _record(self, delivery) -> None:
        try:
            mqtt_deliveries.record(*delivery)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("delivery keys not recorded: a redelivery of this batch would store it again")

    def _ack(self, items: list) -> None:
        client = self.client
        if client is None:
            return
        for _topic, _payload, mid, qos, _dup in items:
            if qos:
                client.ack(mid, qos)
