"""Writer transactions on one SQLite file take turns within a process, first come first served.

SQLite lets one writer in at a time and makes the others poll: its busy handler sleeps 1, 2,
5 ... 100 ms between tries. A thread that commits and begins its next transaction at once (the
storage writer working through a backlog of batches) is back in before any sleeper wakes, again
and again: behind it, a section walk's progress write waited 0.2-0.6 s on a 1,000-page
benchmark crawl, and the walk waits for that write before it follows a list page's links. Here
the process's writers queue for their turn instead, so each waits for at most the
transactions that asked before it. Other processes still meet SQLite's own lock, as before.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path


class WriteTurns:
    """A ticket lock: turns are served in the order they were asked for.

    Reentrant for the thread that holds the turn (a second writer connection opened inside a
    transaction then meets SQLite's own lock, as it did without turns, instead of a deadlock).
    A wait is bounded: a writer that gives up leaves its ticket behind, and the turns skip it.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._owner: int | None = None
        self._depth = 0
        self._abandoned: set[int] = set()  # tickets of writers that stopped waiting

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for this thread's turn; False when ``timeout`` seconds passed first."""
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return True
            ticket = self._next_ticket
            self._next_ticket += 1
            deadline = None if timeout is None else time.monotonic() + timeout
            while ticket != self._serving:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._abandoned.add(ticket)
                    return False
                self._changed.wait(remaining)
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._changed:
            if self._owner != threading.get_ident():
                raise RuntimeError("write turn released by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._changed.notify_all()


_TURNS: dict[Path, WriteTurns] = {}
_TURNS_LOCK = threading.Lock()


def turns_for(path: Path) -> WriteTurns:
    """The turns of one database file, shared by every engine of this process that writes it."""
    key = path.resolve()
    with _TURNS_LOCK:
        turns = _TURNS.get(key)
        if turns is None:
            turns = _TURNS[key] = WriteTurns()
        return turns
