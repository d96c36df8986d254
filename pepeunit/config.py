"""Settings: every ``PU_*`` environment variable, read once and validated.

``Settings.from_env()`` is the only place the environment is read. A missing or
malformed variable raises ``ConfigError`` naming the variable, so the process
stops at start-up instead of failing later on the first request that needs it.
Every variable here is documented in ``.env_example``.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import re
from dataclasses import dataclass, field, fields
from urllib.parse import urlparse


class ConfigError(RuntimeError):
    """A configuration variable is missing or invalid."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0 or value == float("inf"):
        raise ValueError("expected a positive number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected an integer >= 0")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("expected a TCP port 1..65535")
    return value


def _prefix(raw: str) -> str:
    if not raw.startswith("/") or raw.endswith("/") or len(raw) < 2:
        raise ValueError("expected a path like /pepeunit (leading slash, no trailing slash)")
    return raw


def _url(*schemes: str):
    def parse(raw: str) -> str:
        if urlparse(raw).scheme not in schemes:
            raise ValueError(f"expected a URL with scheme {' or '.join(schemes)}")
        return raw
    return parse


def _aes_key(raw: str) -> str:
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("expected base64 of a 16, 24 or 32 byte key") from None
    if len(key) not in (16, 24, 32):
        raise ValueError(f"base64 decodes to {len(key)} bytes; AES needs 16, 24 or 32")
    return raw


def _secret(raw: str) -> str:
    if len(raw) < 16:
        raise ValueError("expected at least 16 characters")
    return raw


def _choice(*allowed: str):
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return raw
    return parse


def _str(raw: str) -> str:
    return raw


def _header_safe(raw: str) -> str:
    if any(c in raw for c in "\r\n\0") or raw != raw.strip():
        raise ValueError("expected no line breaks and no surrounding spaces")
    return raw


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _origins(raw: str) -> tuple[str, ...]:
    """Comma-separated browser origins (``scheme://host[:port]``, no path); credentials are allowed,
    so a wildcard is refused: every origin is named."""
    origins = tuple(part.strip() for part in raw.split(",") if part.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise ValueError(f"{origin!r} is not an origin like https://app.example.com or http://localhost:3000 "
                             "(scheme and host, optional port, no path, no wildcard)")
    return origins


def _telegram_secret(raw: str) -> str:
    # Telegram's rule for setWebhook secret_token: 1-256 of A-Z a-z 0-9 _ -
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ValueError("expected 1-256 characters from A-Z, a-z, 0-9, _ and -")
    return raw


REQUIRED = object()


def setting(default=REQUIRED, parse=_str, doc: str = ""):
    return field(default=None, metadata={"default": default, "parse": parse, "doc": doc})


@dataclass(frozen=True)
class Settings:
    # --- identity and URLs -------------------------------------------------
    PU_DOMAIN: str = setting(doc="host name (or ip:port) of this instance; first MQTT topic level")
    PU_SECURE: bool = setting(True, _bool, "true: links are https, false: http")
    PU_APP_PREFIX: str = setting("/pepeunit", _prefix, "URL prefix of the whole app")
    PU_API_V1_PREFIX: str = setting("/api/v1", _prefix, "REST prefix after PU_APP_PREFIX")
    # --- secrets -----------------------------------------------------------
    PU_SECRET_KEY: str = setting(parse=_secret, doc="HS256 key of every JWT")
    PU_ENCRYPT_KEY: str = setting(parse=_aes_key, doc="base64 AES-GCM key for data at rest")
    PU_AUTH_TOKEN_EXPIRATION: int = setting(2678400, _positive_int, "user token lifetime, s")
    # --- storage -----------------------------------------------------------
    PU_SQLALCHEMY_DATABASE_URL: str = setting(parse=_url("postgresql", "postgresql+psycopg2"))
    PU_REDIS_URL: str = setting("redis://127.0.0.1:6379/0", _url("redis", "rediss", "unix"))
    PU_MQTT_REDIS_AUTH_URL: str = setting("", _str, "Redis EMQX reads ACLs from (default PU_REDIS_URL)")
    PU_SAVE_REPO_PATH: str = setting("repo_cache", _str, "folder of local git clones")
    PU_DB_CONNECT_TIMEOUT_SECONDS: int = setting(5, _positive_int, "s to open a PostgreSQL connection")
    PU_DB_STATEMENT_TIMEOUT_MS: int = setting(15000, _non_negative_int, "ms one SQL statement may run; 0 disables")
    PU_DB_POOL_TIMEOUT_SECONDS: int = setting(5, _positive_int, "s a request waits for a free pooled connection")
    PU_REDIS_SOCKET_TIMEOUT_SECONDS: int = setting(5, _positive_int, "s to connect to Redis and per command")
    # --- MQTT --------------------------------------------------------------
    PU_MQTT_HOST: str = setting(doc="broker host for the backend and for units")
    PU_MQTT_PORT: int = setting(1883, _port)
    PU_MQTT_SECURE: bool = setting(True, _bool, "EMQX admin API over https")
    PU_MQTT_API_PORT: int = setting(18083, _port)
    PU_MQTT_USERNAME: str = setting("", _str, "EMQX admin API user; empty: skip broker set-up")
    PU_MQTT_PASSWORD: str = setting("", _str)
    PU_MQTT_KEEPALIVE: int = setting(60, _positive_int)
    PU_MQTT_MAX_PAYLOAD_SIZE: int = setting(256, _positive_int, "KB")
    PU_MQTT_MAX_CLIENTS: int = setting(10000, _positive_int)
    PU_MQTT_MAX_CLIENT_CONNECTION_RATE: str = setting("20/s")
    PU_MQTT_CLIENT_MAX_MESSAGES_RATE: str = setting("30/s")
    PU_MQTT_CLIENT_MAX_BYTES_RATE: str = setting("1MB/s")
    PU_MQTT_MAX_CLIENT_ID_LEN: int = setting(512, _positive_int)
    PU_MQTT_MAX_TOPIC_ALIAS: int = setting(128, _non_negative_int)
    PU_MQTT_MAX_QOS: int = setting(2, _non_negative_int)
    PU_MQTT_MAX_LEN_MESSAGE_QUEUE: int = setting(128, _positive_int)
    PU_MQTT_MAX_TOPIC_LEVELS: int = setting(5, _positive_int)
    PU_MQTT_AUTH_CACHE_SECONDS: int = setting(60, _non_negative_int, "s the hook keeps a decision; 0 disables")
    PU_DEV_BROKER_BIND: str = setting("127.0.0.1:1883", _str, "listen address of `flask devbroker`")
    PU_LEADER_LEASE_SECONDS: int = setting(3, _positive_int, "s a dead leader keeps the MQTT consumer lease")
    PU_MQTT_CONSUMER_MODE: str = setting("leader", _choice("leader", "shared"),
                                         "leader: one consumer (the leader's); shared: one per worker, $share group")
    PU_MQTT_CONSUMER_ORPHAN_SECONDS: int = setting(10, _positive_int,
                                                   "shared mode: s without a heartbeat before a consumer's session "
                                                   "is adopted and drained by the leader")
    PU_ROLLOUT_TICK_SECONDS: float = setting(5.0, _positive_float, "s between two steps of the leader's rollout driver")
    # --- limits ------------------------------------------------------------
    PU_STATE_SEND_INTERVAL: int = setting(60, _positive_int, "s")
    PU_MAX_CIPHER_LENGTH: int = setting(1000000, _positive_int, "characters")
    PU_UNIT_LOG_EXPIRATION: int = setting(86400, _positive_int, "s")
    PU_MAX_PAGINATION_SIZE: int = setting(500, _positive_int)
    PU_MAX_EXTERNAL_REPO_SIZE: int = setting(50, _positive_int, "MB")
    PU_MIN_INTERVAL_SYNC_REPOSITORY: int = setting(10, _non_negative_int, "s")
    PU_METRICS_CACHE_SECONDS: int = setting(5, _non_negative_int, "s; 0 disables")
    # --- compiled-firmware releases (GitHub / GitLab releases API) -----------
    PU_GITHUB_API_URL: str = setting("https://api.github.com", _url("http", "https"),
                                     "GitHub REST API base (GitHub Enterprise: https://host/api/v3)")
    PU_GITHUB_TOKEN_NAME: str = setting("", _header_safe, "owner of PU_GITHUB_TOKEN_PAT (set both or neither)")
    PU_GITHUB_TOKEN_PAT: str = setting("", _header_safe, "token for public GitHub releases calls (rate limit)")
    PU_RELEASES_API_TIMEOUT_SECONDS: int = setting(15, _positive_int, "s to connect / to wait for each answer")
    # --- Telegram ----------------------------------------------------------
    PU_TELEGRAM_TOKEN: str = setting("", _str, "bot token; empty disables the bot")
    PU_TELEGRAM_BOT_LINK: str = setting("https://t.me/pepeunit_bot")
    PU_TELEGRAM_BOT_MODE: str = setting("auto", _choice("auto", "webhook", "polling", "pooling"))
    PU_TELEGRAM_API_URL: str = setting("https://api.telegram.org", _url("http", "https"))
    PU_TELEGRAM_PROXY_URL: str = setting("", _str)
    PU_TELEGRAM_WEBHOOK_SECRET: str = setting("", _telegram_secret, "secret-token header; derived if empty")
    # --- feature flags -----------------------------------------------------
    PU_FF_TELEGRAM_BOT_ENABLE: bool = setting(True, _bool)
    PU_FF_GRAFANA_INTEGRATION_ENABLE: bool = setting(False, _bool, "Grafana dashboards and login (needs a Grafana)")
    PU_FF_DATAPIPE_ENABLE: bool = setting(True, _bool, "DataPipe: per-node pipelines and their stored data")
    PU_FF_DATAPIPE_DEFAULT_LAST_VALUE_ENABLE: bool = setting(True, _bool, "new /pepeunit nodes get a LastValue pipe")
    PU_FF_PROMETHEUS_ENABLE: bool = setting(False, _bool, "GET {PU_APP_PREFIX}/metrics in the Prometheus format")
    # --- Grafana -----------------------------------------------------------
    PU_GRAFANA_URL: str = setting("", _str, "Grafana base URL; empty: <scheme>://PU_DOMAIN/grafana")
    PU_GRAFANA_ADMIN_USER: str = setting("", _str, "Grafana server admin (HTTP Basic for every API call)")
    PU_GRAFANA_ADMIN_PASSWORD: str = setting("", _str)
    PU_GRAFANA_LIMIT_UNIT_NODE_PER_ONE_PANEL: int = setting(10, _positive_int, "unit nodes one panel may show")
    PU_GRAFANA_OIDC_CLIENT_ID: str = setting("grafana-client", _str, "client_id of grafana.ini generic_oauth")
    PU_GRAFANA_OIDC_CLIENT_SECRET: str = setting("", _str, "client_secret of grafana.ini generic_oauth")
    PU_GRAFANA_API_TIMEOUT_SECONDS: int = setting(5, _positive_int, "s one Grafana API call may take")
    # --- operations --------------------------------------------------------
    PU_WORKER_COUNT: int = setting(4, _positive_int, "gunicorn workers")
    PU_WORKER_THREADS: int = setting(1, _positive_int, "threads per gunicorn worker")
    PU_BIND: str = setting("0.0.0.0:5000", _str, "gunicorn listen address")
    PU_REQUEST_BODY_TIMEOUT_SECONDS: int = setting(10, _positive_int,
                                                   "a request body must arrive within this time, else 408")
    PU_ACCESS_LOG: str = setting("", _str, "gunicorn access log file, '-' for stdout, empty for none")
    PU_LOG_LEVEL: str = setting("INFO", _choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
    PU_LOG_FORMAT: str = setting("text", _choice("text", "json"), "text: readable lines; json: one object per line")
    PU_PROMETHEUS_MULTIPROC_DIR: str = setting(
        "", _str, "folder of the workers' metric files (cleaned at start); empty: a private temporary folder")
    PU_CORS_ORIGINS: tuple = setting((), _origins, "comma-separated origins allowed cross-origin; empty: none")

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        env.update({k: str(v) for k, v in overrides.items()})
        values = {}
        for f in fields(cls):
            meta = f.metadata
            raw = env.get(f.name)
            if raw is None or raw == "":
                if meta["default"] is REQUIRED:
                    raise ConfigError(f"{f.name} is required but not set (see .env_example)")
                values[f.name] = meta["default"]
                continue
            try:
                values[f.name] = meta["parse"](raw)
            except ValueError as exc:
                raise ConfigError(f"{f.name}={raw!r} is invalid: {exc}") from None
        settings = cls(**values)
        settings._check_consistency()
        return settings

    def _check_consistency(self) -> None:
        if self.PU_GRAFANA_URL and urlparse(self.PU_GRAFANA_URL).scheme not in ("http", "https"):
            raise ConfigError(f"PU_GRAFANA_URL={self.PU_GRAFANA_URL!r} is invalid: expected an http(s) URL")
        if self.PU_FF_GRAFANA_INTEGRATION_ENABLE:
            for name in ("PU_GRAFANA_ADMIN_USER", "PU_GRAFANA_ADMIN_PASSWORD", "PU_GRAFANA_OIDC_CLIENT_SECRET"):
                if not getattr(self, name):
                    raise ConfigError(f"{name} is required when PU_FF_GRAFANA_INTEGRATION_ENABLE=true")
        if bool(self.PU_GITHUB_TOKEN_NAME) != bool(self.PU_GITHUB_TOKEN_PAT):
            missing = "PU_GITHUB_TOKEN_PAT" if self.PU_GITHUB_TOKEN_NAME else "PU_GITHUB_TOKEN_NAME"
            raise ConfigError(f"{missing} is required when the other PU_GITHUB_TOKEN_* variable is set")

    # --- derived values ----------------------------------------------------
    @property
    def http_type(self) -> str:
        return "https" if self.PU_SECURE else "http"

    @property
    def link(self) -> str:
        return f"{self.http_type}://{self.PU_DOMAIN}"

    @property
    def link_prefix(self) -> str:
        return self.link + self.PU_APP_PREFIX

    @property
    def link_prefix_and_v1(self) -> str:
        return self.link_prefix + self.PU_API_V1_PREFIX

    @property
    def grafana_url(self) -> str:
        """Grafana's base URL without a trailing slash (v1.2: ``PU_LINK/grafana``)."""
        return (self.PU_GRAFANA_URL or self.link + "/grafana").rstrip("/")

    @property
    def domain_is_ip(self) -> bool:
        host = self.PU_DOMAIN.rsplit(":", 1)[0] if self.PU_DOMAIN.count(":") == 1 else self.PU_DOMAIN
        try:
            ipaddress.ip_address(host.strip("[]"))
            return True
        except ValueError:
            return False

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL with the psycopg2 driver named explicitly."""
        if self.PU_SQLALCHEMY_DATABASE_URL.startswith("postgresql://"):
            return "postgresql+psycopg2://" + self.PU_SQLALCHEMY_DATABASE_URL[len("postgresql://"):]
        return self.PU_SQLALCHEMY_DATABASE_URL

    @property
    def mqtt_redis_auth_url(self) -> str:
        return self.PU_MQTT_REDIS_AUTH_URL or self.PU_REDIS_URL

    @property
    def feature_flags(self) -> dict:
        return {
            "pu_ff_telegram_bot_enable": self.PU_FF_TELEGRAM_BOT_ENABLE,
            "pu_ff_grafana_integration_enable": self.PU_FF_GRAFANA_INTEGRATION_ENABLE,
            "pu_ff_datapipe_enable": self.PU_FF_DATAPIPE_ENABLE,
            "pu_ff_datapipe_default_last_value_enable": self.PU_FF_DATAPIPE_DEFAULT_LAST_VALUE_ENABLE,
            "pu_ff_prometheus_enable": self.PU_FF_PROMETHEUS_ENABLE,
        }


def documented_variables() -> list[tuple[str, object, str]]:
    """(name, default, doc) of every setting; used by the test that checks .env_example."""
    out = []
    for f in fields(Settings):
        default = f.metadata["default"]
        out.append((f.name, None if default is REQUIRED else default, f.metadata["doc"]))
    return out
