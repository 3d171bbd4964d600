"""The tables of the data contract users query (see README, "Data contract"), in SQLAlchemy Core.

Changed only through a migration in ``crawler/storage/migrations/versions``; column names are API
(``tests/test_db.py`` checks these definitions against the schema the migrations build).

Core tables, not ORM classes, because the crawl only ever writes and reads rows with Core
statements (batched inserts, ``UPDATE ... WHERE id``): importing ``sqlalchemy.orm`` and mapping
six classes cost each crawl process ~60 ms of start-up CPU for nothing, and a scale-out crawl
pays start-up once per worker. ``crawler.storage.models`` maps ORM classes onto these same
tables for scripts and reports that want them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend keeps.

    SQLite has no time zones and would hand back naive values; PostgreSQL keeps
    ``timestamptz``. Both sides of the application see aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


metadata = MetaData()

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("portal", String(200), nullable=False),
    Column("trigger", String(20), nullable=False, default="manual"),
    Column("started_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("finished_at", UTCDateTime()),
    Column("status", String(20), nullable=False, default="running"),
    Column("pages", Integer, nullable=False, default=0),
    Column("items_new", Integer, nullable=False, default=0),
    Column("items_duplicate", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("message", Text),
    # Items not stored, by reason ({"not_an_article": 3, ...}): see pipelines/drops.py.
    Column("drops", JSON),
    # One crawl on a shared frontier is one row per worker process, tied by crawl_id.
    Column("crawl_id", String(100), index=True),
    Column("host", String(255)),
    Column("pid", Integer),
    Index("ix_crawl_runs_portal_started", "portal", "started_at"),
)

# How far the list pages of one section were walked, so that no run leaves a gap.
# ``caught_up`` is true when the last walk reached pages holding nothing new (or the end of the
# section) and every article it found was stored; otherwise ``resume_depth`` is the depth the
# next run must walk at least, whatever it finds on the way.
section_walks = Table(
    "section_walks",
    metadata,
    Column("portal", String(200), primary_key=True),
    Column("section_url", String(2000), primary_key=True),
    Column("caught_up", Boolean, nullable=False, default=False),
    Column("resume_depth", Integer, nullable=False, default=0),
    Column("last_depth", Integer, nullable=False, default=0),
    Column("last_run_id", Integer),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(2000), nullable=False, unique=True),
    Column("portal", String(200), nullable=False, index=True),
    Column("section", String(200)),
    Column("title", Text, nullable=False),
    Column("published_at", UTCDateTime(), index=True),
    Column("author", String(500)),
    Column("source", String(500), index=True),
    Column("source_url", String(2000)),
    Column("is_reprint", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    Column("content_hash", String(64), index=True),
    Column("simhash", BigInteger),
    Column("duplicate_of", Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True),
    Column("first_seen_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("last_seen_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("crawl_run_id", Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL"),
           index=True),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    UniqueConstraint("name", "kind", name="uq_tags_name_kind"),
)

article_tags = Table(
    "article_tags",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"),
           primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Column("score", Float, nullable=False, default=1.0),
    Index("ix_article_tags_tag", "tag_id"),
)

# Extraction health of one run for one portal (crawler.runs.coverage): shares 0..1.
run_coverage = Table(
    "run_coverage",
    metadata,
    Column("run_id", Integer, ForeignKey("crawl_runs.id", ondelete="CASCADE"),
           primary_key=True),
    Column("portal", String(200), primary_key=True),
    Column("articles", Integer, nullable=False, default=0),
    Column("title", Float),
    Column("published_at", Float),
    Column("author", Float),
    Column("source", Float),
    Column("body", Float),
    Column("list_pages", Integer),
    Column("article_links", Integer),
    Column("yield_per_page", Float),
    Column("recorded_at", UTCDateTime(), nullable=False, default=utcnow),
    Index("ix_run_coverage_portal_run", "portal", "run_id"),
)
