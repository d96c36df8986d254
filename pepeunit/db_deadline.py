"""A client-side deadline on every PostgreSQL round trip, so a frozen server cannot hang a worker.

``statement_timeout`` is enforced by the server: a PostgreSQL that is frozen (SIGSTOP, a VM paused,
a stuck disk) enforces nothing, and the kernel still acknowledges our packets, so a pooled
connection's query waits as long as the freeze lasts (seen: a 10 s freeze held ``GET /units`` 10 s).
libpq has no read timeout; psycopg2's wait callback is the documented way to bound the waits.

``install()`` sets the callback once per process (psycopg2's is process-wide). Each connection's
limit comes from its own DSN, so a connection made without our options behaves as before:

- while connecting: ``connect_timeout`` (libpq does not apply it to a connection polled this way);
- afterwards: no byte from the server for ``statement_timeout`` + ``SLACK`` s. The server answers a
  slow statement with its own error at ``statement_timeout``; silence beyond that means it is gone.

Past the limit the callback raises ``OperationalError``; psycopg2 then closes the connection
(``closed == 2``) and SQLAlchemy discards it as disconnected: the request answers 503.
"""
from __future__ import annotations

import functools
import re
import select
import time

import psycopg2
from psycopg2 import extensions

SLACK = 1.0  # s a live server may answer after its own statement_timeout
_CONNECTED = (extensions.STATUS_READY, extensions.STATUS_BEGIN, extensions.STATUS_PREPARED)  # else: connecting


@functools.lru_cache(maxsize=64)
def limits(dsn: str) -> tuple[float | None, float | None]:
    """(connect limit, idle limit) in seconds from a connection's DSN; None where it sets none."""
    params = extensions.parse_dsn(dsn)
    connect = float(params["connect_timeout"]) if params.get("connect_timeout") else None
    match = re.search(r"statement_timeout\s*=\s*(\d+)", params.get("options", ""))
    idle = int(match.group(1)) / 1000.0 + SLACK if match and int(match.group(1)) > 0 else None
    return connect, idle


def wait(conn) -> None:
    connect, idle = limits(conn.dsn)
    while True:
        state = conn.poll()
        if state == extensions.POLL_OK:
            return
        connecting = conn.status not in _CONNECTED
        limit = connect if connecting else idle
        readers, writers = ([conn.fileno()], []) if state == extensions.POLL_READ else ([], [conn.fileno()])
        started = time.monotonic()
        ready = select.select(readers, writers, [], limit)
        if not any(ready):
            what = "connect" if connecting else "answer"
            raise psycopg2.OperationalError(
                f"PostgreSQL did not {what} within {time.monotonic() - started:.1f}s (client-side deadline)")


def install() -> None:
    if extensions.get_wait_callback() is not wait:
        extensions.set_wait_callback(wait)
