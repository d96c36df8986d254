"""A deadline for reading a request body (issue 12 item 10).

gunicorn's threaded worker reads the body from a blocking socket with no timeout, and has no
setting for one: a client that sends ``Content-Length: 1000`` and one byte holds the worker's
thread forever. ``BodyReadTimeout`` wraps the WSGI app: each read of ``wsgi.input`` gets the
time left until ``PU_REQUEST_BODY_TIMEOUT_SECONDS`` after the request started (as the socket's
timeout), and once it is spent the request answers ``408`` (``{"detail": "the request body
did not arrive within <n> s"}``) and the connection is closed (its read side is shut, so gunicorn finds no next
request on it). The socket's timeout is lifted when the app starts its response, so a slow
client reading a long answer is not cut.

This is a backstop, not the defence: in production a buffering reverse proxy (nginx) goes in
front, as gunicorn's documentation asks, and hands gunicorn only complete requests. Outside
gunicorn (the Flask test client, ``flask run``) there is no socket and nothing changes.
"""
from __future__ import annotations

import json
import socket
import time

from werkzeug.exceptions import RequestTimeout

MESSAGE = "the request body did not arrive within {} s"


class _TimedInput:
    """``wsgi.input`` with a deadline on the whole body."""

    def __init__(self, stream, sock: socket.socket, seconds: float):
        self._stream, self._sock, self._seconds = stream, sock, seconds
        self._deadline = time.monotonic() + seconds

    def _call(self, method, *args):
        left = self._deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            self._sock.settimeout(left)
            return method(*args)
        except TimeoutError:
            try:
                self._sock.shutdown(socket.SHUT_RD)  # the rest of the body never reaches the parser
            except OSError:
                pass
            raise RequestTimeout(MESSAGE.format(self._seconds)) from None

    def read(self, *args):
        return self._call(self._stream.read, *args)

    def readline(self, *args):
        return self._call(self._stream.readline, *args)

    def readlines(self, *args):
        return self._call(self._stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")


class BodyReadTimeout:
    """WSGI middleware: bound the time a request body may take to arrive."""

    def __init__(self, app, seconds: float):
        self.app, self.seconds = app, seconds

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        if sock is None:
            return self.app(environ, start_response)
        previous = sock.gettimeout()
        environ["wsgi.input"] = _TimedInput(environ["wsgi.input"], sock, self.seconds)

        def start(status, headers, exc_info=None):
            sock.settimeout(previous)  # writing the answer is not bounded by the body's deadline
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        except RequestTimeout as error:  # raised outside Flask's handlers (the broker hook's fast path)
            body = json.dumps({"detail": error.description}).encode()
            start("408 Request Timeout", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        finally:
            sock.settimeout(previous)
