"""Bounded waits: a PostgreSQL server that stops answering gives an error, never a hang."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from crawler.storage.bounded import Watchdog
from crawler.storage.engine import make_engine
from tests.faults.pg_proxy import PgProxy


def test_the_watchdog_shuts_down_a_socket_whose_call_overran():
    here, there = socket.socketpair()
    watchdog = Watchdog()
    token = watchdog.arm(here.fileno(), 0.3)
    started = time.monotonic()
    assert here.recv(10) == b"", "the blocked read must end when the deadline passes"
    assert time.monotonic() - started < 5
    assert watchdog.disarm(token) is True
    here.close()
    there.close()


def test_a_call_that_returns_in_time_is_left_alone():
    here, there = socket.socketpair()
    watchdog = Watchdog()
    token = watchdog.arm(here.fileno(), 5)
    threading.Timer(0.05, there.send, args=(b"ok",)).start()
    assert here.recv(10) == b"ok"
    assert watchdog.disarm(token) is False
    there.send(b"still open")
    assert here.recv(20) == b"still open"
    here.close()
    there.close()


@pytest.fixture
def proxy():
    with PgProxy() as running:
        yield running


def test_a_stalled_server_raises_within_the_client_timeout_and_the_engine_recovers(
        postgres_url, proxy, monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT", "2")  # the reconnect after the failed ping
    engine = make_engine(proxy.url(postgres_url), client_timeout=1.0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    proxy.stall()  # the pooled connection stays open, nothing comes back
    started = time.monotonic()
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    # The ping overruns its 1 s, then a new connection its 2 s connect_timeout.
    assert time.monotonic() - started < 8, "the deadlines must end the wait"
    proxy.pass_()
    with engine.connect() as conn:  # the broken connection was dropped: a fresh one
        assert conn.execute(text("SELECT 2")).scalar_one() == 2
    engine.dispose()


def test_a_commit_to_a_stalled_server_raises_within_the_client_timeout(postgres_url, proxy):
    engine = make_engine(proxy.url(postgres_url), client_timeout=1.0)
    conn = engine.connect()
    conn.execute(text("CREATE TABLE t (n int)"))
    proxy.stall()
    started = time.monotonic()
    with pytest.raises(OperationalError, match="DB_CLIENT_TIMEOUT"):
        conn.commit()
    assert time.monotonic() - started < 6
    conn.close()
    proxy.pass_()
    engine.dispose()
