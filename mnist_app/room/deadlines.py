"""A deadline on every wait for a PostgreSQL server, so that a server that stops answering (paused,
a frozen host, a dropped network) costs a session a few seconds instead of minutes.

The server's own limit (statement_timeout) needs a server that runs; TCP keepalives need TCP and an
idle minute; a paused server on a Unix socket answers neither, and libpq then waits without end
(measured: 9 of 16 sessions froze for a 40 s SIGSTOP). psycopg2 lets the application do the waiting
(its wait callback, made for coroutine libraries): `wait` polls the connection's socket with a
deadline, and past it shuts the socket down and raises an OperationalError that SQLAlchemy takes
for a lost connection, so it discards that connection and the pool's others and the next call
connects anew once the server is back.

Deadlines are per thread: inside `waits(s)` each wait (a connection, a statement, a commit) lasts
at most s seconds; inside `until(t)` no wait ends later than time.monotonic() t. Outside both a
wait has no deadline, as psycopg2's own. `libpq_limits` gives the limits libpq and the server keep
themselves (connect timeout, keepalives, statement timeout). `install()` sets the callback for the whole process (it
is psycopg2's design); it leaves another library's callback (e.g. psycogreen's) in place.
"""

from __future__ import annotations

import logging
import math
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)
_local = threading.local()
# PostgreSQL cancels a statement at this share of the deadline, before the client's own deadline: the
# server's cancel keeps the connection usable, the client's deadline drops it.
STATEMENT_SHARE = 0.8
# "could not receive data from server" is one of the messages SQLAlchemy's psycopg2 dialect reads as
# a lost connection (is_disconnect): the connection and the pool's others are then discarded.
NO_ANSWER = "could not receive data from server: no answer within {:g} s (the room's deadline)"


def libpq_limits(url, timeout_s: float) -> dict:
    """psycopg2's connect_args for a SQLAlchemy URL: the connect timeout (at least 2 s: libpq's floor),
    TCP keepalives (a host that vanished is noticed after ~timeout_s + 3 s idle instead of the
    kernel's two hours) and the statement timeout, added to any `options` the URL gives."""
    seconds = max(1, round(timeout_s))
    given = url.query.get("options") or ""
    given = given if isinstance(given, str) else " ".join(given)
    options = f"{given} -c statement_timeout={round(timeout_s * STATEMENT_SHARE * 1000)}".strip()
    return {"connect_timeout": max(2, seconds), "keepalives": 1, "keepalives_idle": seconds,
            "keepalives_interval": 1, "keepalives_count": 3, "options": options}  # fmt: skip


@contextmanager
def _set(name: str, value: float) -> Iterator[None]:
    before = getattr(_local, name, None)
    setattr(_local, name, value)
    try:
        yield
    finally:
        setattr(_local, name, before)


def waits(seconds: float):
    """Each database wait of this thread inside lasts at most `seconds`."""
    return _set("wait_s", seconds)


def until(monotonic_end: float):
    """No database wait of this thread inside ends later than `monotonic_end` (time.monotonic())."""
    return _set("end", monotonic_end)


def _end() -> tuple[float | None, float | None]:
    """(when this wait must end, the per-wait limit) for the calling thread; (None, None): never."""
    limit, end = getattr(_local, "wait_s", None), getattr(_local, "end", None)
    ends = [e for e in (None if limit is None else time.monotonic() + limit, end) if e is not None]
    return (min(ends) if ends else None), limit


def _give_up(conn, limit: float | None) -> None:
    """Shut the socket down (the server may never answer; libpq then sees the connection closed)."""
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass  # no socket yet, or already gone: the error below is what matters
    import psycopg2

    raise psycopg2.OperationalError(NO_ANSWER.format(limit if limit is not None else 0))


def wait(conn, _cursor=None) -> None:
    """psycopg2's wait callback: poll until the connection is ready, at most until this thread's deadline."""
    from psycopg2 import extensions

    ends, limit = _end()
    while True:
        try:
            state = conn.poll()
            if state == extensions.POLL_OK:
                return
            events = select.POLLIN if state == extensions.POLL_READ else select.POLLOUT
            left = None if ends is None else ends - time.monotonic()
            if left is not None and left <= 0:
                _give_up(conn, limit)
            poller = select.poll()  # the socket may change while connecting (libpq tries each address)
            poller.register(conn.fileno(), events)
            poller.poll(None if left is None else math.ceil(left * 1000))
        except KeyboardInterrupt:  # as psycopg2.extras.wait_select: stop the query, then wait for its end
            conn.cancel()


def install() -> None:
    """Make `wait` psycopg2's wait callback for this process (idempotent)."""
    from psycopg2 import extensions

    current = extensions.get_wait_callback()
    if current is None:
        extensions.set_wait_callback(wait)
    elif current is not wait:
        logger.warning("psycopg2 has another wait callback (%r): the room's waits have no deadline", current)
