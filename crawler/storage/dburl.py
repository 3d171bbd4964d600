"""``DATABASE_URL`` checked before anything connects, so a typo is one line, not a traceback.

SQLAlchemy raises ``ArgumentError`` on ``garbage`` and happily loads a MySQL dialect for
``mysql://``; neither says that this crawler supports SQLite and PostgreSQL only. Every
command calls :func:`check_database_url` first and exits 2 (configuration) on
:class:`DatabaseUrlError`; :func:`open_database` then tells an unreachable server (exit 1,
worth retrying) from a wrong URL.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from crawler.storage.engine import make_engine, normalize_url, upgrade_database

SUPPORTED = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}
EXAMPLES = "sqlite:///data/portal.db or postgresql://user:password@host:5432/dbname"


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` is not a URL this crawler can use; the message shows a good one."""


class DatabaseUnavailable(RuntimeError):
    """The URL is fine but the database cannot be reached or upgraded right now."""


def check_database_url(url: str) -> URL:
    """The parsed URL, or ``DatabaseUrlError`` naming what is wrong (password hidden)."""
    try:
        parsed = make_url(normalize_url(url.strip()))
    except ArgumentError:
        raise DatabaseUrlError(
            f"DATABASE_URL {_redact(url)!r} is not a database URL; write e.g. {EXAMPLES}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise DatabaseUrlError(
            f"DATABASE_URL {parsed.render_as_string(hide_password=True)!r} uses {backend}, "
            f"which this crawler does not support; use SQLite or PostgreSQL, e.g. {EXAMPLES}"
        )
    driver = parsed.get_driver_name()
    if driver not in SUPPORTED[backend]:
        raise DatabaseUrlError(
            f"DATABASE_URL driver {backend}+{driver} is not installed with this crawler; "
            f"write {backend}:// (it uses {SUPPORTED[backend][0]})"
        )
    if backend == "postgresql" and not parsed.database:
        raise DatabaseUrlError(
            f"DATABASE_URL {parsed.render_as_string(hide_password=True)!r} names no database; "
            f"write e.g. {EXAMPLES}"
        )
    return parsed


def open_database(url: str) -> Engine:
    """A writer engine on an upgraded schema, or ``DatabaseUnavailable`` in one line."""
    check_database_url(url)
    try:
        engine = make_engine(url)
    except OSError as exc:  # SQLite: the directory cannot be created
        raise DatabaseUnavailable(f"cannot create the database file: {exc}") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        upgrade_database(engine)
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise DatabaseUnavailable(first_line(exc)) from None
    return engine


def first_line(exc: BaseException) -> str:
    """The driver's own first line: the part that says "connection refused" or "no such db"."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0][:300] if message else type(exc).__name__


def _redact(url: str) -> str:
    """Hide anything between ``:`` and ``@`` in a string that did not even parse."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, sep, rest = head.partition("://")
    user = rest.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{tail}"
