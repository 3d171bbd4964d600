"""Engines and schema upgrades for ``DATABASE_URL`` (SQLite by default, PostgreSQL in production).

Every process that writes (a crawl, the scheduler) calls ``upgrade_database`` first, so an
empty database becomes usable without a separate setup step; concurrent first runs serialise
on a lock so two crawls starting together do not both create the tables.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib
import logging
import os
import re
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.types import TypeEngine

from crawler import settings as project_settings
from crawler.storage.migrations import HEAD_REVISION
from crawler.storage.write_turns import WriteTurns, turns_for

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_DATABASE_URL = "sqlite:///data/portal.db"
_PG_MIGRATION_LOCK = 7_201_611  # pg_advisory_lock key: any constant unique to this project


def normalize_url(url: str) -> str:
    """Accept the URLs users paste: ``postgres://`` and ``postgresql://`` mean psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, writer: bool = True, client_timeout: float | None = None) -> Engine:
    """An engine with the settings a multi-process crawler needs on each backend.

    ``writer`` engines open SQLite transactions with ``BEGIN IMMEDIATE``; read-only users
    (the spider's "already stored?" lookups) pass ``writer=False`` and never wait for a writer.
    PostgreSQL round trips are bounded by ``client_timeout`` seconds (default
    ``DB_CLIENT_TIMEOUT``, see ``crawler.storage.bounded``), so a server that stops answering
    gives an error instead of a hang.
    """
    url = normalize_url(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_on_connect)
        if writer:
            _take_turns(engine, turns_for(path))
        else:
            event.listen(engine, "begin", _sqlite_on_begin_read)
        return engine
    engine = create_engine(url, pool_pre_ping=True, connect_args=_pg_connect_args())
    if engine.dialect.driver == "psycopg":
        from crawler.storage.bounded import bounded_connect  # psycopg: ~60 ms SQLite never needs

        connect = bounded_connect(
            project_settings.DB_CLIENT_TIMEOUT if client_timeout is None else client_timeout)

        @event.listens_for(engine, "do_connect")
        def _bounded(dialect, conn_rec, cargs, cparams):  # type: ignore[no-untyped-def]
            return connect(*cargs, **cparams)

    return engine


# Bounded waits: a stalled server or a stuck lock gives an error (storage keeps or spools the
# batch), never a crawl hanging forever. Environment variables, since make_engine is called
# by scripts and the scheduler as well as by crawls.
_SQLITE_BUSY_TIMEOUT = float(os.environ.get("DB_SQLITE_BUSY_TIMEOUT", "60"))


def _pg_connect_args() -> dict[str, Any]:
    connect = int(float(os.environ.get("DB_CONNECT_TIMEOUT", "10")))
    statement_ms = int(float(os.environ.get("DB_STATEMENT_TIMEOUT", "30")) * 1000)
    lock_ms = int(float(os.environ.get("DB_LOCK_TIMEOUT", "30")) * 1000)
    return {
        "connect_timeout": connect,
        "options": f"-c statement_timeout={statement_ms} -c lock_timeout={lock_ms}",
        # A server that vanishes mid-transaction (cut cable) is noticed by TCP keepalive.
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
        "keepalives_count": 3,
    }


def conflict_insert(bind: Connection | Engine, table: Table) -> Any:
    """``INSERT`` for ``table`` with the backend's ``ON CONFLICT`` clauses (SQLite or
    PostgreSQL). The dialect's module is imported only for the backend in use: a SQLite crawl
    never loads PostgreSQL's (~25 ms of every crawl process's start-up)."""
    name = bind.dialect.name
    if name not in ("sqlite", "postgresql"):  # pragma: no cover - the supported backends
        raise NotImplementedError(f"no INSERT ... ON CONFLICT for {name}")
    return importlib.import_module(f"sqlalchemy.dialects.{name}").insert(table)


def spool_dir_for(database_url: str, configured: str = "") -> Path:
    """Where storage spools articles for ``database_url``: ``STORAGE_SPOOL_DIR`` if set, else
    ``spool/`` beside a SQLite file (``data/spool`` for the default database), else
    ``data/spool/<host>-<database>`` so a spool is only replayed into its own database."""
    if configured:
        return Path(configured)
    url = normalize_url(database_url)
    path = sqlite_path(url)
    if path is not None:
        return path.parent / "spool"
    parsed = make_url(url)
    return Path("data/spool") / f"{parsed.host or 'local'}-{parsed.database or 'db'}"


def _sqlite_on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_on_begin), WAL for readers beside a writer.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT * 1000)}")
    _set_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _set_wal(cursor) -> None:  # type: ignore[no-untyped-def]
    """Switch to WAL, retrying while another process opening the same fresh file holds it:
    SQLite answers "database is locked" at once there, without its busy handler (two crawl
    workers starting together lost one of them to this)."""
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _take_turns(engine: Engine, turns: WriteTurns) -> None:
    """Writer transactions begin with ``BEGIN IMMEDIATE``, each in its turn among this
    process's writers of the file (``crawler.storage.write_turns``)."""
    holding: weakref.WeakKeyDictionary[Connection, WriteTurns] = weakref.WeakKeyDictionary()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN: a read-then-write transaction (dedup
        # decision then insert) cannot interleave with another process's.
        held = turns.acquire(timeout=_SQLITE_BUSY_TIMEOUT)
        if not held:  # a writer of this process never ends: SQLite's own wait decides
            logger.warning("SQLite: no turn among this process's writers within %g s; "
                           "waiting on the database lock instead", _SQLITE_BUSY_TIMEOUT)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if held:
                turns.release()
            raise
        if held:
            holding[conn] = turns

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Connection) -> None:
        # Before the driver's COMMIT: a writer let in now meets SQLite's lock for a moment.
        held = holding.pop(conn, None)
        if held is not None:
            held.release()


def _sqlite_on_begin_read(conn) -> None:  # type: ignore[no-untyped-def]
    conn.exec_driver_sql("BEGIN")


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    path = sqlite_path(str(engine.url))
    if path is not None:
        lock_path = path.with_name(path.name + ".migrate.lock")
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
        return
    yield


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


_UPGRADED: set[tuple[str, str]] = set()  # (url, revision) this process already upgraded


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (normally the newest), idempotently.

    Storage and the run recorder both call this at the start of a crawl; the second call in a
    process is free. A database already at the newest revision (every crawl but the first) is
    recognised by one query, without Alembic: importing it and loading the migration scripts
    cost ~0.25 s of every crawl process's start-up, and a crawl worker's start-up is paid
    again by each process of a shared frontier.
    """
    key = (engine.url.render_as_string(hide_password=False), revision)
    if key in _UPGRADED:
        return
    if revision in ("head", HEAD_REVISION) and _revisions(engine) == [HEAD_REVISION]:
        _UPGRADED.add(key)
        return
    from alembic import command

    cfg = alembic_config()
    with _migration_lock(engine), engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    _UPGRADED.add(key)


def _revisions(engine: Engine) -> list[str] | None:
    """The revisions recorded in the database; None before its first migration. Read on the
    driver's cursor: on SQLite a SQLAlchemy transaction would be a writer's BEGIN IMMEDIATE,
    and wait behind a crawl that is writing."""
    with engine.connect() as conn:  # an unreachable database: SQLAlchemy's error, as before
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute("SELECT version_num FROM alembic_version")
            return [str(row[0]) for row in cursor.fetchall()]
        except engine.dialect.loaded_dbapi.Error:  # no such table: a new database
            return None
        finally:
            cursor.close()


class DriverStatement:
    """A hot statement run on the DBAPI cursor under a SQLAlchemy connection, same transaction.

    SQLAlchemy's per-execute bookkeeping (execution context, result wrapping, row objects)
    costs ~0.15 ms, several times what SQLite takes to run an indexed lookup; storage runs a
    few such statements per article, so they were a visible share of a crawl's CPU. Values
    pass to the driver as they are, except parameters named in ``types``: those go through
    the SQLAlchemy type's own bind processing for the connection's dialect (a ``UTCDateTime``
    becomes the same text on SQLite, and the same aware value on PostgreSQL, as through
    SQLAlchemy). Results come back raw. Written with ``:name`` parameters; driver errors are
    wrapped in SQLAlchemy's exception classes, so callers handle one family of errors.
    """

    def __init__(self, sql: str, types: Mapping[str, TypeEngine[Any]] | None = None) -> None:
        self.sql = sql
        self._pyformat = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
        self._types = dict(types or {})
        self._processors: dict[str, dict[str, Callable[[Any], Any]]] = {}

    def _text(self, conn: Connection) -> str:
        # sqlite3 accepts :name; psycopg (paramstyle pyformat) wants %(name)s.
        return self._pyformat if conn.dialect.paramstyle == "pyformat" else self.sql

    def _bind(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
        if not self._types:
            return params
        dialect = conn.dialect
        processors = self._processors.get(dialect.name)
        if processors is None:
            processors = self._processors[dialect.name] = {
                name: processor
                for name, type_ in self._types.items()
                if (processor := type_.dialect_impl(dialect).bind_processor(dialect)) is not None
            }
        bound = dict(params)
        for name, processor in processors.items():
            if name in bound:
                try:
                    bound[name] = processor(bound[name])
                except Exception as exc:  # as SQLAlchemy does: a StatementError, row rejected
                    raise StatementError(
                        f"({type(exc).__name__}) {exc} [parameter {name!r}]", self.sql, params, exc
                    ) from exc
        return bound

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as plain tuples."""
        params = self._bind(conn, params)
        with self._wrapped(conn, params) as cursor:
            cursor.execute(self._text(conn), params)
            return cursor.fetchall()

    def execute(self, conn: Connection, params: dict[str, Any]) -> None:
        params = self._bind(conn, params)
        with self._wrapped(conn, params) as cursor:
            cursor.execute(self._text(conn), params)

    def execute_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        rows = [self._bind(conn, row) for row in rows]
        with self._wrapped(conn, rows) as cursor:
            cursor.executemany(self._text(conn), rows)

    @contextlib.contextmanager
    def _wrapped(self, conn: Connection, params: Any) -> Iterator[Any]:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            yield cursor
        except conn.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(self.sql, params, exc,
                                      conn.dialect.loaded_dbapi.Error) from exc
        finally:
            cursor.close()


# Multi-row statements: one statement for many rows or values instead of one per row (on
# PostgreSQL each statement is a server round trip). Cached per shape: writing the text costs
# more than looking it up.


@functools.cache
def values_statement(head: str, width: int, count: int, tail: str = "") -> DriverStatement:
    """``<head> VALUES (:r0_0, ..), .., (:r<count-1>_0, ..) <tail>``, ``count`` rows of
    ``width`` values each; bind them with ``value_params``."""
    rows = ", ".join("(" + ", ".join(f":r{i}_{j}" for j in range(width)) + ")"
                     for i in range(count))
    return DriverStatement(f"{head} VALUES {rows} {tail}".rstrip())


def value_params(rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    return {f"r{i}_{j}": value for i, row in enumerate(rows) for j, value in enumerate(row)}


@functools.cache
def in_list_statement(head: str, count: int) -> DriverStatement:
    """``<head> (:v0, .., :v<count-1>)``, for ``... IN``; bind them with ``list_params``."""
    return DriverStatement(f"{head} ({', '.join(f':v{i}' for i in range(count))})")


def list_params(values: Iterable[Any]) -> dict[str, Any]:
    return {f"v{i}": value for i, value in enumerate(values)}
