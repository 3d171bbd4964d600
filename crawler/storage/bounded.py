"""A client-side deadline on every PostgreSQL round trip.

``statement_timeout`` and TCP keepalives only help while the server still answers: a server
that hangs, or a proxy or firewall that keeps the TCP connection up (ACKs) but forwards
nothing, leaves libpq waiting forever inside a call that holds the writer thread, the run
recorder or a spider lookup. Here every round trip (a query or ping, a commit, a rollback) is
armed with ``DB_CLIENT_TIMEOUT`` seconds on one watchdog thread; when it overruns, the
watchdog shuts the connection's socket down, so the blocked call returns at once with an
``OperationalError`` that SQLAlchemy sees as a disconnect (the connection is broken and
dropped from its pool). Connecting is bounded by libpq's own ``connect_timeout``.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg


class Watchdog:
    """One thread that shuts down the sockets of calls past their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, int] = {}  # token -> socket fd
        self._fired: set[int] = set()
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None

    def arm(self, fd: int, timeout: float) -> int:
        """Watch ``fd`` for ``timeout`` seconds; ``disarm`` the token when the call returns."""
        token = next(self._tokens)
        with self._lock:
            self._armed[token] = fd
            heapq.heappush(self._heap, (time.monotonic() + timeout, token))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="db-watchdog",
                                                daemon=True)
                self._thread.start()
            self._lock.notify()
        return token

    def disarm(self, token: int) -> bool:
        """Stop watching; True when the deadline had passed and the socket was shut down."""
        with self._lock:
            self._armed.pop(token, None)
            if token in self._fired:
                self._fired.discard(token)
                return True
            return False

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # returned in time
                if not self._heap:
                    self._lock.wait(60.0)
                    continue
                deadline, token = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
                fd = self._armed.pop(token)
                self._fired.add(token)
                _shut_down(fd)


def _shut_down(fd: int) -> None:
    """Shut the socket down for both directions: the blocked recv/poll returns at once. The
    descriptor stays the driver's (a duplicate is closed here), so nothing else is reused."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer
    finally:
        sock.close()


WATCHDOG = Watchdog()


class _Deadline:
    """The client timeout of one connection, with the check around each round trip."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    @contextlib.contextmanager
    def around(self, conn: psycopg.Connection[Any]) -> Iterator[None]:
        if self.timeout <= 0 or conn.closed:
            yield
            return
        try:
            fd = conn.pgconn.socket
        except psycopg.Error:
            yield  # not usable: psycopg raises its own error
            return
        token = WATCHDOG.arm(fd, self.timeout)
        try:
            yield
        except psycopg.Error as exc:
            if WATCHDOG.disarm(token):
                raise psycopg.OperationalError(
                    f"no answer from the database within {self.timeout:g} s "
                    "(DB_CLIENT_TIMEOUT); connection closed") from exc
            raise
        else:
            WATCHDOG.disarm(token)


class BoundedCursor(psycopg.Cursor[Any]):
    """Queries and pings (SQLAlchemy's pre-ping runs on a cursor) under the deadline; a
    client-side cursor has every row once ``execute`` returns, so fetches need none."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        with _deadline_of(self.connection).around(self.connection):
            return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        with _deadline_of(self.connection).around(self.connection):
            return super().executemany(*args, **kwargs)


class BoundedConnection(psycopg.Connection[Any]):
    """Commit and rollback under the deadline, and cursors that are bounded too."""

    deadline: _Deadline = _Deadline(0)

    def commit(self) -> None:
        with self.deadline.around(self):
            super().commit()

    def rollback(self) -> None:
        with self.deadline.around(self):
            super().rollback()


def _deadline_of(conn: Any) -> _Deadline:
    return getattr(conn, "deadline", _Deadline(0))


def bounded_connect(timeout: float) -> Callable[..., BoundedConnection]:
    """A ``psycopg.connect`` replacement whose connections bound every round trip by
    ``timeout`` seconds (0: unbounded); for SQLAlchemy's ``do_connect`` event."""

    def connect(*args: Any, **kwargs: Any) -> BoundedConnection:
        kwargs.setdefault("cursor_factory", BoundedCursor)
        conn = BoundedConnection.connect(*args, **kwargs)
        conn.deadline = _Deadline(timeout)
        return conn

    return connect
