"""Shared-mode consumers (``PU_MQTT_CONSUMER_MODE=shared``): who is in the group, and the orphans.

Every worker runs a ``SharedConsumer`` under its own client id (host + pid) with a
persistent session. Mosquitto 2 and EMQX 5 keep an unacknowledged message in the session it was
sent to -- they do not hand it to another member when that member dies -- and Mosquitto goes on
queueing new messages to the dead member's session. So a worker that dies (kill -9, OOM, host
lost) leaves an **orphan session** holding messages nobody else will get.

- ``Membership``: each consumer's heartbeat (a thread, so a consumer busy retrying a batch still
  counts as alive) in the Redis hash ``pepeunit:consumers:<domain>`` (client id -> time), and
  the messages it committed in ``pepeunit:consumers-committed:<domain>`` (an operator's view of
  how the load is shared; the tests read it). A consumer that leaves cleanly removes its entry.
- ``adopt_orphans``: the leader's job. An entry whose heartbeat is older than
  ``PU_MQTT_CONSUMER_ORPHAN_SECONDS`` is an orphan: the leader claims it (SET NX), resumes that
  session under the dead consumer's client id (``SharedConsumer.drain``): the broker resends the
  unacknowledged messages flagged ``dup``, those already committed are acknowledged without being
  stored (``services.mqtt_deliveries``), the rest are stored. Then the session is ended and its
  entry and delivery keys removed. A drain that fails is retried at the next round.
"""
from __future__ import annotations

import logging
import threading
import time

from ..extensions import get_redis, get_settings
from ..services import mqtt_deliveries
from .shared_consumer import SharedConsumer

log = logging.getLogger(__name__)

BEAT_EVERY = 1.0  # s between heartbeats
ROUND_EVERY = 1.0  # s between the leader's looks for orphans


def members_key(settings) -> str:
    return f"pepeunit:consumers:{settings.PU_DOMAIN}"


def committed_key(settings) -> str:
    return f"pepeunit:consumers-committed:{settings.PU_DOMAIN}"


class Membership:
    """One consumer's entry in the group, kept alive by a thread from ``start`` to ``stop``."""

    def __init__(self, app, client_id: str):
        self.settings = get_settings(app)
        self.redis = get_redis(app)
        self.client_id = client_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Membership":
        self.beat()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pepeunit: consumer heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(BEAT_EVERY):
            self.beat()

    def beat(self) -> None:
        try:
            self.redis.hset(members_key(self.settings), self.client_id, repr(time.time()))
        except Exception as exc:  # Redis away: the leader cannot see orphans either; nothing to do
            log.debug("consumer heartbeat not written: %s", exc)

    def committed(self, count: int) -> None:
        if count:
            try:
                self.redis.hincrby(committed_key(self.settings), self.client_id, count)
            except Exception as exc:
                log.debug("consumer count not written: %s", exc)

    def left(self) -> None:
        """The session was drained and ended: nobody needs to adopt it."""
        self.stop()
        try:
            self.redis.hdel(members_key(self.settings), self.client_id)
        except Exception as exc:
            log.warning("consumer %s left but its entry stays (%s): the leader will find nothing to drain",
                        self.client_id, exc)


def orphans(app, now: float | None = None) -> list[str]:
    settings = get_settings(app)
    beats = get_redis(app).hgetall(members_key(settings))
    limit = (now or time.time()) - settings.PU_MQTT_CONSUMER_ORPHAN_SECONDS
    found = []
    for client_id, beat in beats.items():
        client_id = client_id.decode() if isinstance(client_id, bytes) else client_id
        try:
            stale = float(beat) < limit
        except ValueError:
            stale = True
        if stale:
            found.append(client_id)
    return found


def adopt(app, client_id: str, stop: threading.Event) -> bool:
    """Drain and end one orphan session; returns whether it is gone."""
    settings, redis_client = get_settings(app), get_redis(app)
    claim = f"pepeunit:consumer-adopt:{settings.PU_DOMAIN}:{client_id}"
    if not redis_client.set(claim, "1", nx=True, ex=120):
        return False  # another leader (a previous holding) is on it
    try:
        log.warning("consumer %s stopped beating: draining its broker session", client_id)
        consumer = SharedConsumer(app, client_id=client_id)
        if not consumer.drain(stop):
            log.warning("session of consumer %s not drained yet; retrying later", client_id)
            return False
        with app.app_context():
            mqtt_deliveries.forget(client_id)
        redis_client.hdel(members_key(settings), client_id)
        log.info("session of consumer %s drained: %d messages stored, %d redelivered ones already stored",
                 client_id, consumer.counters.committed, consumer.counters.redelivered)
        return True
    finally:
        redis_client.delete(claim)


def adopt_orphans(app, stop: threading.Event) -> None:
    """The leader's job in shared mode: drain every orphan session, until ``stop``."""
    while not stop.wait(ROUND_EVERY):
        try:
            for client_id in orphans(app):
                if stop.is_set():
                    break
                adopt(app, client_id, stop)
        except Exception:
            log.exception("orphan consumer sessions not adopted this round")


class Member:
    """A worker's shared-mode consumer until ``stop``; restarted (same client id) if it crashes."""

    def __init__(self, app, client_id: str):
        self.app = app
        self.client_id = client_id
        self.consumer: SharedConsumer | None = None

    def run(self, stop: threading.Event) -> None:
        membership = Membership(self.app, self.client_id).start()
        try:
            while not stop.is_set():
                self.consumer = SharedConsumer(self.app, client_id=self.client_id, membership=membership)
                try:
                    self.consumer.run(stop)
                except Exception:
                    log.exception("shared consumer %s crashed; restarting it", self.client_id)
                    stop.wait(1.0)
        finally:
            membership.stop()
