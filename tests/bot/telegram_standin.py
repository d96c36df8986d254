"""A local stand-in for the Telegram Bot API, following its documented contract.

It serves ``/bot<token>/<method>`` over HTTP (like a self-hosted Bot API server,
which is why plain-HTTP webhook URLs are accepted), takes parameters from the
query string, a urlencoded or multipart form, or a JSON body, and answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``.

Methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo,
sendMessage, sendDocument, answerCallbackQuery, editMessageText.

getUpdates behaves like Telegram's: updates stay queued until a later call
confirms them with a higher ``offset``; ``timeout`` long-polls; it answers 409
while a webhook is set; and a new getUpdates terminates one still in flight
with 409 Conflict (counted in ``conflicts``: two pollers show up there).
Sent messages are kept in ``messages`` (text, keyboard, document) so a test
can press their buttons; inline buttons must carry 1-64 bytes of
``callback_data`` (else 400 BUTTON_DATA_INVALID); editMessageText needs a known
message and refuses an edit that changes nothing ("message is not modified");
answerCallbackQuery texts are at most 200 characters.
Every call is recorded in ``calls``. ``fail_with(500)`` makes every method
fail; ``stop()``/``start()`` take the server down and up on the same port.
"""
from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from ..helpers import wait_until
from ..processes import free_port

TOKEN = "123456789:TEST-stand-in-token_abc"
OTHER_TOKEN = "987654321:TEST-another-bot_xyz"  # a second bot (another id)
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Pepeunit test bot", "username": "pepeunit_test_bot"}
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")


class ApiError(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class Call:
    method: str
    params: dict
    files: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    via_proxy: bool = False
    at: float = field(default_factory=time.monotonic)

    def json_param(self, name):
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


class TelegramStandIn:
    def __init__(self, token: str = TOKEN, port: int | None = None):
        self.token = token
        self.port = port or free_port()
        self.calls: list[Call] = []
        self.conflicts = 0
        self.failure: int | None = None
        self.webhook: dict = {"url": ""}
        self._queue: list[dict] = []  # unconfirmed updates, oldest first
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._cond = threading.Condition()
        self._poll_generation = 0
        self._polls_in_flight = 0
        self.max_polls_in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self.messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> the message as it is now

    # --- lifecycle ---------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "TelegramStandIn":
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="telegram-standin").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail_with(self, status: int | None) -> None:
        self.failure = status

    # --- test helpers ------------------------------------------------------
    def push_update(self, update: dict) -> int:
        with self._cond:
            update = dict(update, update_id=next(self._update_ids))
            self._queue.append(update)
            self._cond.notify_all()
            return update["update_id"]

    def push_message(self, chat_id: int, text: str, chat_type: str = "private") -> int:
        return self.push_update(message_update(chat_id, text, chat_type))

    def pending(self) -> list[dict]:
        with self._cond:
            return list(self._queue)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in list(self.calls) if c.method == method]

    def messages_to(self, chat_id) -> list[str]:
        return [c.params.get("text") for c in self.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(chat_id)]

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        return wait_until(predicate, timeout)

    def wait_for_message(self, chat_id, count: int = 1, timeout: float = 10.0) -> list[str]:
        assert self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout), (
            f"no reply #{count} to chat {chat_id}; calls: {[c.method for c in self.calls]}"
        )
        return self.messages_to(chat_id)

    # --- the Bot API -------------------------------------------------------
    def handle(self, method: str, params: dict, files: dict) -> object:
        if self.failure:
            raise ApiError(self.failure, "Internal Server Error" if self.failure >= 500 else "Bad Request")
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params, files)

    def api_getMe(self, params, files):
        return BOT_USER

    def api_getUpdates(self, params, files):
        offset = _int(params.get("offset"))
        limit = min(max(_int(params.get("limit")) or 100, 1), 100)
        wait = float(params.get("timeout") or 0)
        with self._cond:
            if self.webhook["url"]:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
            if self._polls_in_flight:
                self.conflicts += 1  # Telegram ends the older request with a 409
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            self._polls_in_flight += 1
            self.max_polls_in_flight = max(self.max_polls_in_flight, self._polls_in_flight)
            try:
                if offset is not None:
                    self._queue = [u for u in self._queue if u["update_id"] >= offset]
                end = time.monotonic() + wait
                while not self._queue and time.monotonic() < end and generation == self._poll_generation:
                    self._cond.wait(end - time.monotonic())
                if generation != self._poll_generation:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
                return self._queue[:limit]
            finally:
                self._polls_in_flight -= 1

    def api_setWebhook(self, params, files):
        url = params.get("url", "")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ApiError(400, "Bad Request: bad webhook: unsupported URL protocol")
        with self._cond:
            if _bool(params.get("drop_pending_updates")):
                self._queue.clear()
            self.webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": json.loads(params["allowed_updates"]) if params.get("allowed_updates") else None,
                "max_connections": _int(params.get("max_connections")) or 40,
            }
            self._poll_generation += 1
            self._cond.notify_all()
        return True

    def api_deleteWebhook(self, params, files):
        with self._cond:
            if _bool(params.get("drop_pending_updates")):
                self._queue.clear()
            self.webhook = {"url": ""}
        return True

    def api_getWebhookInfo(self, params, files):
        with self._cond:
            info = {"url": self.webhook["url"], "has_custom_certificate": False, "pending_update_count": len(self._queue)}
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            if self.webhook["url"]:
                info["max_connections"] = self.webhook["max_connections"]
            return info

    def _message(self, chat_id, **content) -> dict:
        chat_id = _int(chat_id)
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        _check_buttons(content.get("reply_markup"))
        return {
            "message_id": next(self._message_ids),
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "first_name": "Tester"},
            "date": int(time.time()),
            **content,
        }

    def api_sendMessage(self, params, files):
        text = params.get("text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        content = {"text": text}
        if params.get("reply_markup"):
            content["reply_markup"] = json.loads(params["reply_markup"])
        return self._keep(self._message(params.get("chat_id"), **content))

    def _keep(self, message: dict) -> dict:
        self.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    def api_sendDocument(self, params, files):
        document = files.get("document")
        if document is None and not params.get("document"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        name, data = document if document else (None, b"")
        content = {"document": {"file_id": f"doc{len(self.calls)}", "file_unique_id": f"u{len(self.calls)}", "file_name": name, "file_size": len(data)}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._keep(self._message(params.get("chat_id"), **content))

    def api_answerCallbackQuery(self, params, files):
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if len(params.get("text") or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def api_editMessageText(self, params, files):
        if params.get("inline_message_id"):
            return True
        key = (_int(params.get("chat_id")), _int(params.get("message_id")))
        old = self.messages.get(key)
        if old is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not params.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        if old.get("text") == params["text"] and old.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
        message = self._message(key[0], text=params["text"], **({"reply_markup": markup} if markup else {}))
        message.update(message_id=key[1], edit_date=int(time.time()))
        return self._keep(message)


def message_update(chat_id: int, text: str, chat_type: str = "private") -> dict:
    """A ``message`` Update as Telegram sends it (update_id is set when queued)."""
    message = {
        "message_id": int(time.time() * 1000) % 1_000_000,
        "from": {"id": chat_id if chat_id > 0 else 42, "is_bot": False, "first_name": "Tester"},
        "chat": {"id": chat_id, "type": chat_type, "first_name": "Tester"} if chat_type == "private" else {"id": chat_id, "type": chat_type, "title": "Group"},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": 0, "message": message}


def _check_buttons(markup) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _int(value):
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value) -> bool:
    return value in (True, "true", "True", "1", 1)


class _Handler(BaseHTTPRequestHandler):
    owner: TelegramStandIn
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        via_proxy = self.path.startswith("http://")  # absolute-form request line = sent through a proxy
        target = urlsplit(self.path)
        match = PATH_RE.match(target.path)
        params = dict(parse_qsl(target.query, keep_blank_values=True))
        files: dict = {}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            params.update(self._body_params(body, files))
        except ValueError:
            return self._send(400, {"ok": False, "error_code": 400, "description": "Bad Request: can't parse request body"})
        if match is None:
            return self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if match["token"] != self.owner.token:
            return self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        call = Call(match["method"], params, files, dict(self.headers), via_proxy)
        self.owner.calls.append(call)
        try:
            result = self.owner.handle(match["method"], params, files)
        except ApiError as exc:
            return self._send(exc.code, {"ok": False, "error_code": exc.code, "description": exc.description})
        self._send(200, {"ok": True, "result": result})

    def _body_params(self, body: bytes, files: dict) -> dict:
        if not body:
            return {}
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("JSON body must be an object")
            return {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in data.items()}
        if kind.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(body.decode(), keep_blank_values=True))
        if kind.startswith("multipart/form-data"):
            parser = email.parser.BytesParser(policy=email.policy.HTTP)
            message = parser.parsebytes(b"Content-Type: " + kind.encode() + b"\r\n\r\n" + body)
            out = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True) or b""
                if filename is not None:
                    files[name] = (filename, payload)
                else:
                    out[name] = payload.decode()
            return out
        raise ValueError("unsupported content type")

    def _send(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client went away (e.g. a poller that stopped)
