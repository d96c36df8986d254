"""The log format of every process: readable text (default) or one JSON object per line.

``configure(settings)`` sets the root logger of an app process; ``gunicorn_logger(fmt)`` gives
gunicorn a logger class with the same format for its error and access logs. Every line carries
the current ``log_context`` (request id, route, user or unit uuid, MQTT topic) where known.

Secrets never reach a line: every formatted line (message, arguments, traceback) goes through
``redact``, which masks JWTs (user, unit and backend tokens), credentials in URLs, Telegram bot
tokens and the values of password/token/PAT-like keys; the access log shows a query string's
names, never its values, and never the auth headers. Values it cannot recognise (a PAT alone,
env.json values) are never logged by the code in the first place.
"""
from __future__ import annotations

import datetime
import json
import logging
import re
import sys

from . import log_context

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@")
_BOT_TOKEN = re.compile(r"\b(bot)?[0-9]{5,}:[A-Za-z0-9_-]{30,}")
_SECRET_VALUE = re.compile(
    r"(?i)((?:password|passwd|secret|token|pat|api[_-]?key|authorization|x-auth-token|credentials?)"
    r"[\"']?\s*[:=]\s*(?:bearer\s+|basic\s+)?[\"']?)([^\"'\s,;&}\]]+)")
MASK = "<redacted>"


def redact(text: str) -> str:
    text = _JWT.sub(MASK, text)
    text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _BOT_TOKEN.sub(lambda m: (m.group(1) or "") + MASK, text)
    return _SECRET_VALUE.sub(lambda m: m.group(1) + MASK, text)


class ContextFilter(logging.Filter):
    """Copies the current ``log_context`` onto the record (fields a record already has win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_context.current().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _context_of(record: logging.LogRecord) -> dict:
    return {key: getattr(record, key) for key in log_context.FIELDS if getattr(record, key, None)}


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [request_id=... route=...]``, redacted."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _context_of(record)
        if context:
            first, newline, rest = line.partition("\n")
            line = first + " [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]" + newline + rest
        return redact(line)


ACCESS_FIELDS = ("remote_addr", "method", "path", "status", "duration_ms", "user_agent")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO 8601), level, logger, message, the known context,
    an access line's fields, and ``exception`` (the traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        out.update(_context_of(record))
        for key in ACCESS_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                out[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            out["exception"] = redact(record.exc_text)
        if record.stack_info:
            out["stack"] = redact(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def configure(settings) -> None:
    """The root logger of this process: one stderr handler in ``PU_LOG_FORMAT`` at ``PU_LOG_LEVEL``.

    Called by every ``create_app``; replaces the handler an earlier call installed, leaves any
    other handler (pytest's capture) alone."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pepeunit", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._pepeunit = True
    handler.setFormatter(formatter(settings.PU_LOG_FORMAT))
    handler.addFilter(ContextFilter())
    root.addHandler(handler)
    root.setLevel(settings.PU_LOG_LEVEL)


def safe_request_line(environ: dict) -> str:
    """``METHOD /path?name=…&other=… PROTOCOL``: query names kept, values dropped."""
    query = environ.get("QUERY_STRING") or ""
    names = [part.split("=", 1)[0] for part in query.split("&") if part]
    target = environ.get("PATH_INFO") or "/"
    if names:
        target += "?" + "&".join(f"{name}=…" for name in names)
    return f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL', '-')}"


_SECRET_HEADERS = ("x-auth-token", "authorization", "cookie", "x-telegram-bot-api-secret-token")


def gunicorn_logger(fmt: str):
    """A ``gunicorn.glogging.Logger`` subclass writing ``fmt`` ("text" or "json")."""
    from gunicorn import glogging

    class PepeunitGunicornLogger(glogging.Logger):
        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter(fmt) if log is self.error_log or fmt == "json"
                                         else _RedactingAccessFormatter())
                    if not any(isinstance(f, ContextFilter) for f in handler.filters):
                        handler.addFilter(ContextFilter())

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            atoms["r"] = safe_request_line(environ)
            atoms["q"] = safe_request_line({"QUERY_STRING": environ.get("QUERY_STRING")}).split(" ")[1][1:]
            for name in _SECRET_HEADERS:
                atoms.pop("{%s}i" % name, None)
            atoms = {k: v for k, v in atoms.items() if not k.endswith("}e")}  # the environ holds no log data
            return atoms

        def access(self, resp, req, environ, request_time):
            if fmt != "json":
                return super().access(resp, req, environ, request_time)
            if not self.access_log_enabled:
                return
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            context = environ.get("pepeunit.log_context") or {}
            extra = {
                "remote_addr": environ.get("REMOTE_ADDR", "-"), "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"), "status": int(status),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "user_agent": environ.get("HTTP_USER_AGENT"), **context,
            }
            self.access_log.info("%s %s", safe_request_line(environ), status, extra=extra)

    return PepeunitGunicornLogger


class _RedactingAccessFormatter(logging.Formatter):
    """gunicorn's access line as it is (``access_log_format``), redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
