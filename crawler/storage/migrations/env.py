"""Alembic environment: runs on the connection that
``crawler.storage.engine.upgrade_database`` hands over."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from crawler.storage.engine import make_engine
from crawler.storage.tables import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by crawler.storage.engine.upgrade_database
        _run(connection)
        return
    # Plain `alembic upgrade head` from the command line (alembic.ini next to scrapy.cfg).
    engine = make_engine(
        os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
