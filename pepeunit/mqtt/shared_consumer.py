"""The shared-mode consumer (``PU_MQTT_CONSUMER_MODE=shared``): one per worker, in one ``$share`` group.

It is the ``Consumer`` with:
- a client id per worker process (host + pid, ``broker.identity.worker_client_id``) and a short
  persistent session (``SHARED_SESSION_EXPIRY``), so a dead worker's unacknowledged messages stay
  in its session until the leader drains it;
- the filters ``$share/<group of PU_DOMAIN>/<filter>``: the broker gives each message to one member;
- batches that carry a ``delivery`` (client id, [(packet id, digest)]) recorded in their
  transaction, and ``dup`` messages whose delivery was committed acknowledged without being stored
  again (``services.mqtt_deliveries``); the batch's rows are locked first (``report_batches``);
- ``_leave`` on a graceful stop: unsubscribe, store and acknowledge what still arrives until the
  session is quiet, then end the session (DISCONNECT with session expiry 0);
- ``drain``: the leader resumes a dead member's session under its client id and leaves it the same way.

``mqtt.shared_group`` runs one per worker (``Member``) and drains the orphans (``adopt_orphans``).
"""
from __future__ import annotations

import logging
import threading
import time

from ..broker.identity import shared_group
from ..extensions import db
from .consumer import Consumer

log = logging.getLogger(__name__)

SHARED_SESSION_EXPIRY = 300  # s a dead worker's session waits for the leader to drain it
LEAVE_QUIET = 1.0  # s without a message after UNSUBACK (or a session's resumption) before it counts as drained
LEAVE_LIMIT = 10.0  # s a leaving consumer keeps draining; past it the session is left to the leader


class SharedConsumer(Consumer):
    shared = True
    session_expiry = SHARED_SESSION_EXPIRY

    @property
    def filters(self) -> list[str]:
        prefix = f"$share/{shared_group(self.settings)}/"
        return [prefix + topic for topic in super().filters]

    def drain(self, stop: threading.Event) -> bool:
        """Shared mode, the leader: resume a dead consumer's session (``client_id``), store what it holds
        (the broker resends its unacknowledged messages, flagged ``dup``), and end it. Returns whether
        the session was drained and ended."""
        self.unsubscribed.set()  # the session keeps its subscriptions: take nothing new, unsubscribe below
        self._connect()
        drained = False
        try:
            with self.app.app_context():
                if self.connected.wait(LEAVE_LIMIT) and not stop.is_set():
                    self.unsubscribed.clear()
                    drained = self._leave()
        finally:
            self._disconnect(end_session=drained)
            with self.app.app_context():
                db.session.remove()
        return drained

    def _leave(self) -> bool:
        """Unsubscribe, then store and acknowledge what still arrives until the session is quiet."""
        deadline = time.monotonic() + LEAVE_LIMIT
        limit = threading.Event()
        timer = threading.Timer(LEAVE_LIMIT, limit.set)
        timer.daemon = True
        timer.start()
        try:
            client = self.client
            if client is None or not self.connected.is_set():
                return False
            client.unsubscribe(self.filters)
            if not self.unsubscribed.wait(LEAVE_LIMIT / 2):
                return False
            quiet_since = time.monotonic()
            while time.monotonic() - quiet_since < LEAVE_QUIET:
                if time.monotonic() > deadline or not self.connected.is_set():
                    return False
                items = self._take(limit)
                if items:
                    self._handle(items, limit)
                    quiet_since = time.monotonic()
            return not limit.is_set() and self.connected.is_set()
        finally:
            timer.cancel()

