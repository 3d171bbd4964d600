"""SQLAlchemy models of the data contract users query (see README, "Data contract").

Changed only through a migration in ``crawler/storage/migrations/versions``; column names are API.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
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


class Base(DeclarativeBase):
    pass


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="running")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items_new: Mapped[int] = mapped_column(Integer, default=0)
    items_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # Items not stored, by reason ({"not_an_article": 3, ...}): see pipelines/drops.py.
    drops: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # One crawl on a shared frontier is one row per worker process, tied by crawl_id.
    crawl_id: Mapped[str | None] = mapped_column(String(100), index=True)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_crawl_runs_portal_started", "portal", "started_at"),)


class SectionWalk(Base):
    """How far the list pages of one section were walked, so that no run leaves a gap.

    ``caught_up`` is true when the last walk reached pages holding nothing new (or the end of
    the section) and every article it found was stored; otherwise ``resume_depth`` is the
    depth the next run must walk at least, whatever it finds on the way.
    """

    __tablename__ = "section_walks"

    portal: Mapped[str] = mapped_column(String(200), primary_key=True)
    section_url: Mapped[str] = mapped_column(String(2000), primary_key=True)
    caught_up: Mapped[bool] = mapped_column(Boolean, default=False)
    resume_depth: Mapped[int] = mapped_column(Integer, default=0)
    last_depth: Mapped[int] = mapped_column(Integer, default=0)
    last_run_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    portal: Mapped[str] = mapped_column(String(200), index=True)
    section: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    author: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str | None] = mapped_column(String(500), index=True)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    is_reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    crawl_run_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )


class TagRow(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("name", "kind", name="uq_tags_name_kind"),)


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float, default=1.0)

    __table_args__ = (Index("ix_article_tags_tag", "tag_id"),)


class RunCoverage(Base):
    """Extraction health of one run for one portal (crawler.runs.coverage): shares 0..1."""

    __tablename__ = "run_coverage"

    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    portal: Mapped[str] = mapped_column(String(200), primary_key=True)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[float | None] = mapped_column(Float)
    published_at: Mapped[float | None] = mapped_column(Float)
    author: Mapped[float | None] = mapped_column(Float)
    source: Mapped[float | None] = mapped_column(Float)
    body: Mapped[float | None] = mapped_column(Float)
    list_pages: Mapped[int | None] = mapped_column(Integer)
    article_links: Mapped[int | None] = mapped_column(Integer)
    yield_per_page: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_run_coverage_portal_run", "portal", "run_id"),)
