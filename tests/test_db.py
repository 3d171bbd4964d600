"""Driver-level statements behave like SQLAlchemy's: same transaction, same error classes."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crawler.db import DriverStatement, make_engine

_INSERT = DriverStatement("INSERT INTO t (id, name) VALUES (:id, :name)")
_SELECT = DriverStatement("SELECT id, name FROM t WHERE name = :name ORDER BY id")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    return request.getfixturevalue("postgres_url")


def test_driver_statements_join_the_sqlalchemy_transaction(engine_url: str) -> None:
    engine = make_engine(engine_url)
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


def test_driver_errors_arrive_as_sqlalchemy_errors(engine_url: str) -> None:
    """Storage tells 'database away' from 'row rejected' by SQLAlchemy's classes."""
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20))"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _INSERT.execute_many(conn, [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}])
    engine.dispose()
