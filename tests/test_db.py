"""Driver-level statements behave like SQLAlchemy's: same transaction, same error classes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, Table, select, text
from sqlalchemy.exc import IntegrityError

from crawler.storage.engine import DriverStatement, make_engine
from crawler.storage.tables import UTCDateTime

_INSERT = DriverStatement("INSERT INTO t (id, name) VALUES (:id, :name)")
_SELECT = DriverStatement("SELECT id, name FROM t WHERE name = :name ORDER BY id")


def test_driver_statements_join_the_sqlalchemy_transaction(backend_url: str) -> None:
    engine = make_engine(backend_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
    with engine.begin() as conn:
        _INSERT.execute_many(conn, [{"id": 1, "name": "a"}, {"id": 2, "name": "a"}])
        _INSERT.execute(conn, {"id": 3, "name": "b"})
        assert _SELECT.rows(conn, {"name": "a"}) == [(1, "a"), (2, "a")]
        conn.rollback()  # the driver-level rows roll back with the transaction
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    engine.dispose()


def test_driver_errors_arrive_as_sqlalchemy_errors(backend_url: str) -> None:
    """Storage tells 'database away' from 'row rejected' by SQLAlchemy's classes."""
    engine = make_engine(backend_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _INSERT.execute_many(conn, [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}])
    engine.dispose()


def test_typed_parameters_are_stored_as_sqlalchemy_would_store_them(backend_url: str) -> None:
    """A UTC time written at driver level reads back (and sorts) like one SQLAlchemy wrote."""
    table = Table(
        "stamps", MetaData(), Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()), Column("flag", Boolean),
    )
    typed = DriverStatement(
        "INSERT INTO stamps (id, at, flag) VALUES (:id, :at, :flag)",
        types={"at": table.c.at.type, "flag": table.c.flag.type},
    )
    engine = make_engine(backend_url)
    table.metadata.create_all(engine)
    shanghai = timezone(timedelta(hours=8))
    at = datetime(2024, 3, 8, 10, 30, tzinfo=shanghai)  # no microseconds: the tricky text form
    with engine.begin() as conn:
        conn.execute(table.insert(), {"id": 1, "at": at, "flag": True})
        typed.execute(conn, {"id": 2, "at": at, "flag": True})
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.at, table.c.flag).order_by(table.c.id)).all()
        raw = conn.execute(text("SELECT at FROM stamps ORDER BY id")).scalars().all()
    assert rows[0] == rows[1] == (datetime(2024, 3, 8, 2, 30, tzinfo=UTC), True)
    assert raw[0] == raw[1]  # the same stored form, not merely an equal value
    engine.dispose()
