"""A crawl's writers of one SQLite file take turns: a small write behind the storage writer
working through a backlog waits for the transaction under way, not for the whole backlog."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from crawler.storage.engine import make_engine
from crawler.storage.write_turns import WriteTurns


def test_a_write_behind_a_busy_writer_gets_the_next_turn(sqlite_url: str) -> None:
    storage = make_engine(sqlite_url)
    progress = make_engine(sqlite_url)  # another engine of the process, as section walks has
    with storage.begin() as conn:
        conn.execute(text("CREATE TABLE log (who TEXT)"))
    events: list[str] = []
    stop = threading.Event()

    def backlog() -> None:  # one transaction after another, with no pause in between
        while not stop.is_set():
            with storage.begin() as conn:
                conn.execute(text("INSERT INTO log VALUES ('batch')"))
                time.sleep(0.05)
            events.append("batch")

    writer = threading.Thread(target=backlog)
    writer.start()
    time.sleep(0.2)
    events.append("asked")
    with progress.begin() as conn:
        conn.execute(text("INSERT INTO log VALUES ('progress')"))
    events.append("progress")
    stop.set()
    writer.join()
    waited_for = events[events.index("asked"):events.index("progress")].count("batch")
    assert waited_for <= 1, events  # SQLite alone: until the backlog ends
    storage.dispose()
    progress.dispose()


def test_turns_are_served_in_the_order_they_were_asked_for() -> None:
    turns = WriteTurns()
    turns.acquire()
    order: list[str] = []

    def ask(name: str) -> None:
        turns.acquire()
        order.append(name)
        turns.release()

    threads = []
    for name in ("first", "second", "third"):
        thread = threading.Thread(target=ask, args=(name,))
        thread.start()
        threads.append(thread)
        while turns._next_ticket < len(threads) + 1:  # it holds its ticket now
            time.sleep(0.001)
    turns.release()
    for thread in threads:
        thread.join()
    assert order == ["first", "second", "third"]


def test_the_thread_holding_the_turn_can_begin_again_without_a_deadlock() -> None:
    turns = WriteTurns()
    turns.acquire()
    turns.acquire()  # a second writer connection inside a transaction: SQLite's lock decides
    turns.release()
    turns.release()
    with pytest.raises(RuntimeError):
        turns.release()


def test_a_writer_that_gives_up_waiting_does_not_hold_up_the_next() -> None:
    turns = WriteTurns()
    holder_done = threading.Event()
    holder_may_go = threading.Event()

    def hold() -> None:
        turns.acquire()
        holder_may_go.wait()
        turns.release()
        holder_done.set()

    holder = threading.Thread(target=hold)
    holder.start()
    while turns._next_ticket < 1:
        time.sleep(0.001)
    assert turns.acquire(timeout=0.05) is False  # gave up: its ticket is left behind
    holder_may_go.set()
    holder_done.wait(5)
    got = []
    waiter = threading.Thread(target=lambda: got.append(turns.acquire(timeout=5)))
    waiter.start()
    waiter.join(10)
    assert got == [True]  # not stuck behind the abandoned ticket
    holder.join()
