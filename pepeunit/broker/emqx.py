"""EMQX 5 self-configuration over its admin REST API, run once per leadership.

The calls are Pepeunit v1.2's (head-protocol §5.1), in the same order:
wait for ``/api-docs/swagger.json``, ``POST /api/v5/login``, delete and re-create the
``file``, ``http`` and ``redis`` authorization sources (EMQX prepends each new
source, so the chain becomes redis -> http -> file), authorization settings,
the ``tcp:default`` listener, the global zone and the retainer.

Deliberate differences, each fixing a documented weak point:
- the http source also sends ``${action}`` and ``${clientid}`` so our hook tells
  publish from subscribe (W8);
- the redis source's server, database and credentials are parsed from
  ``PU_MQTT_REDIS_AUTH_URL`` instead of cutting characters off it (W12);
- the authorization cache keeps decisions 1 minute (not 10) for up to 256 topics
  per client, so revocations apply quickly and big units do not thrash (W7);
- the listener binds ``PU_MQTT_PORT`` instead of a hard-coded 1883;
- the global zone's ``mqtt.shared_subscription_strategy`` is ``hash_topic`` (v1.2: ``round_robin``):
  with ``PU_MQTT_CONSUMER_MODE=shared`` one topic (one unit's state, one node) keeps reaching the
  same consumer while the group is stable, so its messages stay in order and its rows stay in one
  consumer's batches (fewer row-lock waits). Correctness does not depend on it (docs/ingestion.md).

Without ``PU_MQTT_USERNAME`` the whole step is skipped with a log line.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import unquote, urlparse

import requests

from .identity import issue_backend_token

log = logging.getLogger(__name__)

FILE_RULES = (
    '{allow, {ipaddr, "127.0.0.1"}, all, ["$SYS/#", "#"]}.\n'
    '{deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.\n'
    "{deny, all}."
)
SOURCE_TYPES = ("file", "http", "redis")
SHARED_SUBSCRIPTION_STRATEGY = "hash_topic"  # EMQX 5: random, round_robin, round_robin_per_group, sticky,
# local, hash_clientid, hash_topic; hash_topic picks the group member by a hash of the message's topic


class EmqxError(RuntimeError):
    """The EMQX admin API answered with a server error."""


def base_url(settings) -> str:
    if settings.PU_MQTT_SECURE:
        return f"https://{settings.PU_MQTT_HOST}"
    return f"http://{settings.PU_MQTT_HOST}:{settings.PU_MQTT_API_PORT}"


def http_source(settings) -> dict:
    return {
        "type": "http", "enable": True, "method": "post",
        "url": f"{settings.link_prefix_and_v1}/units/auth",
        "body": {"token": "${username}", "topic": "${topic}", "action": "${action}", "clientid": "${clientid}"},
        "headers": {"content-type": "application/json"},
        "connect_timeout": "15s", "request_timeout": "30s", "enable_pipelining": 100, "pool_size": 8,
        "ssl": {"enable": settings.PU_SECURE, "versions": ["tlsv1.3", "tlsv1.2"], "verify": "verify_none",
                "reuse_sessions": True, "secure_renegotiate": True, "log_level": "notice",
                "hibernate_after": "5s", "depth": 10},
    }


def redis_source(settings) -> dict:
    url = urlparse(settings.mqtt_redis_auth_url)
    database = (url.path or "/0").strip("/") or "0"
    return {
        "type": "redis", "enable": True, "server": f"{url.hostname or '127.0.0.1'}:{url.port or 6379}",
        "redis_type": "single", "pool_size": 8,
        "username": unquote(url.username or ""), "password": unquote(url.password or ""),
        "database": int(database) if database.isdigit() else 0, "auto_reconnect": True,
        "ssl": {"enable": url.scheme == "rediss", "versions": ["tlsv1.3", "tlsv1.2"], "verify": "verify_peer",
                "reuse_sessions": True, "depth": 10, "secure_renegotiate": True,
                "log_level": "emergency", "hibernate_after": "12m"},
        "cmd": "HGETALL mqtt_acl:${username}",
    }


AUTHORIZATION_SETTINGS = {
    "no_match": "deny", "deny_action": "ignore",
    "cache": {"enable": True, "max_size": 256, "ttl": "1m", "excludes": []},
}


def listener(settings) -> dict:
    return {
        "id": "tcp:default", "type": "tcp", "zone": "default", "enable": True, "running": True,
        "bind": f"0.0.0.0:{settings.PU_MQTT_PORT}", "acceptors": 16, "access_rules": ["allow all"],
        "enable_authn": True, "mountpoint": "", "proxy_protocol": False, "proxy_protocol_timeout": "3s",
        "max_connections": settings.PU_MQTT_MAX_CLIENTS,
        "max_conn_rate": settings.PU_MQTT_MAX_CLIENT_CONNECTION_RATE,
        "messages_rate": settings.PU_MQTT_CLIENT_MAX_MESSAGES_RATE,
        "bytes_rate": settings.PU_MQTT_CLIENT_MAX_BYTES_RATE,
        "tcp_options": {"active_n": 100, "backlog": 1024, "buffer": "4KB", "high_watermark": "1MB",
                        "keepalive": "none", "nodelay": True, "nolinger": False, "reuseaddr": True,
                        "send_timeout": "15s", "send_timeout_close": True},
    }


def global_zone(settings) -> dict:
    return {
        "durable_sessions": {"enable": False, "batch_size": 100, "heartbeat_interval": "5000ms",
                             "idle_poll_interval": "10s", "message_retention_period": "1d",
                             "session_gc_batch_size": 100, "session_gc_interval": "10m"},
        "flapping_detect": {"enable": False, "ban_time": "5m", "max_count": 15, "window_time": "1m"},
        "force_gc": {"enable": True, "bytes": "16MB", "count": 16000},
        "force_shutdown": {"enable": True, "max_heap_size": "32MB", "max_mailbox_size": 1000},
        "mqtt": {
            "max_clientid_len": settings.PU_MQTT_MAX_CLIENT_ID_LEN,
            "max_topic_alias": settings.PU_MQTT_MAX_TOPIC_ALIAS,
            "max_qos_allowed": settings.PU_MQTT_MAX_QOS,
            "max_mqueue_len": settings.PU_MQTT_MAX_LEN_MESSAGE_QUEUE,
            "max_topic_levels": settings.PU_MQTT_MAX_TOPIC_LEVELS,
            "max_packet_size": f"{settings.PU_MQTT_MAX_PAYLOAD_SIZE}KB",
            "session_expiry_interval": "2h", "max_subscriptions": "infinity",
            "exclusive_subscription": False, "use_username_as_clientid": False, "idle_timeout": "15s",
            "mqueue_store_qos0": False, "upgrade_qos": False, "mqueue_priorities": "disabled",
            "strict_mode": False, "shared_subscription": True, "server_keepalive": "disabled",
            "wildcard_subscription": True, "response_information": "",
            "shared_subscription_initial_sticky_pick": "random", "max_awaiting_rel": 100,
            "peer_cert_as_username": "disabled", "client_attrs_init": [], "retry_interval": "infinity",
            "retain_available": False, "message_expiry_interval": "infinity", "ignore_loop_deliver": False,
            "clientid_override": "disabled", "peer_cert_as_clientid": "disabled",
            "mqueue_default_priority": "lowest", "max_inflight": 32, "keepalive_multiplier": 1.5,
            "shared_subscription_strategy": SHARED_SUBSCRIPTION_STRATEGY, "keepalive_check_interval": "30s",
            "await_rel_timeout": "300s",
        },
    }


def backend_acl(settings) -> dict:
    """Fields of ``mqtt_acl:<backend JWT>``: what EMQX lets the backend do without asking the hook."""
    domain = settings.PU_DOMAIN
    return {f"{domain}/+/+/+/pepeunit": "all", f"{domain}/+/pepeunit": "all", f"{domain}/+": "publish"}


def write_backend_acl(settings, redis_client) -> None:
    """Into the Redis EMQX reads (``PU_MQTT_REDIS_AUTH_URL``); the stable JWT keeps one key."""
    key = f"mqtt_acl:{issue_backend_token(settings)}"
    pipe = redis_client.pipeline()
    pipe.delete(key)
    pipe.hset(key, mapping=backend_acl(settings))
    pipe.execute()


class _Admin:
    def __init__(self, settings, session: requests.Session, timeout: float):
        self.base = base_url(settings)
        self.session = session
        self.timeout = timeout
        self.headers = {"accept": "*/*", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None) -> requests.Response:
        response = self.session.request(method, self.base + path, json=body, headers=self.headers,
                                        timeout=self.timeout)
        if response.status_code >= 500:
            raise EmqxError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        if response.status_code >= 400:
            log.info("EMQX %s %s: %s %s", method, path, response.status_code, response.text[:300])
        return response


def wait_until_ready(settings, session: requests.Session, attempts: int = 61, pause: float = 1.0,
                     stop=None) -> bool:
    url = base_url(settings) + "/api-docs/swagger.json"
    for attempt in range(attempts):
        try:
            if session.get(url, timeout=5).status_code < 400:
                return True
        except requests.RequestException as exc:
            log.info("EMQX not ready (%s)", exc)
        if attempt + 1 < attempts and (stop.wait(pause) if stop is not None else time.sleep(pause)):
            return False
    log.warning("EMQX admin API did not answer at %s; configuring anyway", url)
    return False


def configure(settings, session: requests.Session | None = None, attempts: int = 61, pause: float = 1.0,
              stop=None, timeout: float = 15.0) -> bool:
    """Apply our configuration to EMQX; ``False`` when skipped (no admin user configured)."""
    if not settings.PU_MQTT_USERNAME:
        log.info("PU_MQTT_USERNAME is empty: EMQX self-configuration skipped")
        return False
    session = session or requests.Session()
    wait_until_ready(settings, session, attempts, pause, stop)
    admin = _Admin(settings, session, timeout)
    login = admin.call("POST", "/api/v5/login",
                       {"username": settings.PU_MQTT_USERNAME, "password": settings.PU_MQTT_PASSWORD})
    token = login.json().get("token") if login.status_code < 400 else None
    if not token:
        raise EmqxError(f"EMQX login failed: {login.status_code}")
    admin.headers["Authorization"] = f"Bearer {token}"
    for kind in SOURCE_TYPES:
        admin.call("DELETE", f"/api/v5/authorization/sources/{kind}")
    admin.call("POST", "/api/v5/authorization/sources", {"type": "file", "enable": True, "rules": FILE_RULES})
    admin.call("POST", "/api/v5/authorization/sources", http_source(settings))
    admin.call("POST", "/api/v5/authorization/sources", redis_source(settings))
    admin.call("PUT", "/api/v5/authorization/settings", AUTHORIZATION_SETTINGS)
    admin.call("PUT", "/api/v5/listeners/tcp:default", listener(settings))
    admin.call("PUT", "/api/v5/configs/global_zone", global_zone(settings))
    admin.call("PUT", "/api/v5/mqtt/retainer", {"enable": False})
    log.info("EMQX at %s configured", admin.base)
    return True
