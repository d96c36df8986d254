"""A request body that never finishes does not hold a worker (issue 12 item 10)."""
from __future__ import annotations

import json
import socket
import time

import requests

from ..helpers import make_test_environ
from ..processes import Gunicorn

BOUND = 2  # PU_REQUEST_BODY_TIMEOUT_SECONDS for these tests
MARGIN = 5


def _stalled_post(server: Gunicorn, path: str) -> tuple[bytes, float]:
    """POST ``path`` announcing 1000 bytes and sending one; what came back and after how long."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=BOUND + MARGIN) as sock:
        started = time.monotonic()
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 1000\r\n\r\n{{".encode())
        answer = b""
        while True:  # until the server closes (a timeout here fails the test)
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - started


def test_a_stalled_body_answers_408_and_closes_within_the_bound(database_url, redis_url):
    env = make_test_environ(database_url, redis_url, PU_LEADER_LEASE_SECONDS=2, PU_REQUEST_BODY_TIMEOUT_SECONDS=BOUND)
    with Gunicorn(env, workers=1, threads=1) as server:
        for path in ("/pepeunit/api/v1/users/auth", "/pepeunit/api/v1/units/auth"):  # a view; the broker hook
            answer, took = _stalled_post(server, path)
            assert took < BOUND + MARGIN, (path, took)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), (path, answer)
            assert json.loads(body) == {"detail": f"the request body did not arrive within {BOUND} s"}
            # the worker's only thread is free again
            assert requests.get(server.url + "/pepeunit", timeout=5).status_code == 200
        assert requests.post(server.url + "/pepeunit/api/v1/users/auth", json={"credentials": "x", "password": "y"},
                             timeout=5).status_code != 408  # a complete body is untouched
