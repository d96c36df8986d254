"""The per-unit state throttle: at most one state per ``PU_STATE_SEND_INTERVAL`` (minus tolerance).

``LocalGate`` keeps the window in this process (leader mode: one consumer sees every message).
``SharedGate`` keeps it in Redis (shared mode: a unit's messages land on any worker): one script
sets the unit's key with the window as expiry unless it is set, atomically across consumers.
The key holds the digest of the accepted payload, so the same message redelivered (its first
consumer died before committing it) passes again instead of being throttled by its own window.
If Redis does not answer, the gate falls back to this process's window (logged once).
"""
from __future__ import annotations

import hashlib
import logging
import time

from ..extensions import get_redis

log = logging.getLogger(__name__)


def tolerance(interval: int) -> float:
    return min(interval * 0.1, 5.0)


class LocalGate:
    def __init__(self, settings):
        self.interval = settings.PU_STATE_SEND_INTERVAL
        self.seen: dict = {}  # unit uuid -> monotonic time of the last accepted state

    def may_pass(self, unit_uuid) -> bool:
        last = self.seen.get(unit_uuid)
        return last is None or time.monotonic() - last >= self.interval - tolerance(self.interval)

    def take(self, unit_uuid, text: str) -> bool:
        if not self.may_pass(unit_uuid):
            return False
        self.seen[unit_uuid] = time.monotonic()
        return True


_TAKE = """
local held = redis.call('get', KEYS[1])
if not held then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if held == ARGV[1] then return 1 end
return 0
"""


class SharedGate(LocalGate):
    def __init__(self, settings):
        super().__init__(settings)
        self.prefix = f"pepeunit:state-gate:{settings.PU_DOMAIN}:"
        self.window_ms = max(1, int((self.interval - tolerance(self.interval)) * 1000))
        self.redis_down = False

    def may_pass(self, unit_uuid) -> bool:
        return True  # decided atomically in take, once the payload is known to be valid

    def take(self, unit_uuid, text: str) -> bool:
        key = hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).hexdigest()
        try:
            taken = bool(get_redis().eval(_TAKE, 1, self.prefix + str(unit_uuid), key, self.window_ms))
        except Exception as exc:  # Redis away: this process's own window, until it answers
            if not self.redis_down:
                self.redis_down = True
                log.warning("Redis unavailable (%s): the state throttle is per worker until it is back", exc)
            return LocalGate.take(self, unit_uuid, text)
        self.redis_down = False
        return taken


def gate_for(settings, shared: bool | None = None) -> LocalGate:
    """The gate of a shared-mode consumer (``shared``; by default: ``PU_MQTT_CONSUMER_MODE``) or of the leader's."""
    if shared is None:
        shared = settings.PU_MQTT_CONSUMER_MODE == "shared"
    return SharedGate(settings) if shared else LocalGate(settings)
