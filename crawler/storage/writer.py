"""The database side of storage: batches of articles written in one transaction each.

Keyed on the canonical URL, so a re-crawl updates a row instead of adding one. The duplicate
decision of the dedup index and the insert happen in the same transaction, under a lock shared
by every crawl process, so two crawls storing the same story at once still give one first copy.
The index is handed in (``pipelines.dedup.DedupIndex``); this module only needs its protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from crawler.items import ArticleItem, Tag
from crawler.storage.engine import (
    DriverStatement,
    in_list_statement,
    list_params,
    make_engine,
    upgrade_database,
    value_params,
    values_statement,
)
from crawler.storage.tables import article_tags, articles, utcnow

logger = logging.getLogger(__name__)


class DuplicateIndex(Protocol):
    """What the writer asks of a dedup index, inside its transaction."""

    def analysis(self, item: ArticleItem) -> Any: ...
    def first_copy(self, conn: Connection, item: ArticleItem) -> tuple[int, str, bool] | None: ...
    def add(self, conn: Connection, article_id: int, item: ArticleItem) -> None: ...
    def refresh(self, conn: Connection, article_id: int, item: ArticleItem) -> None: ...
    def rolled_back(self) -> None: ...


_PG_STORE_LOCK = 7_201_612  # pg_advisory_xact_lock key shared by every crawl process

# Built once: building a SQLAlchemy statement per row cost more than executing it.
_ARTICLE_COLUMNS = [c.name for c in articles.c if c.name != "id"]  # all given
_INSERT_ARTICLE = DriverStatement(
    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _ARTICLE_COLUMNS)}) RETURNING id",
    types={name: articles.c[name].type for name in _ARTICLE_COLUMNS},
)
_DELETE_TAGS = article_tags.delete().where(article_tags.c.article_id == bindparam("article_id"))
# A batch stores ~500 tag rows and brings dozens of new tag names: written with multi-row
# statements (crawler.storage.engine.values_statement), at most this many rows each.
_ROWS_PER_STATEMENT = 100


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _ROWS_PER_STATEMENT):
        yield values[start:start + _ROWS_PER_STATEMENT]


class ArticleWriter:
    """The database side of storage: batches of articles written in transactions.

    The one place that decides what a batch does to the database; ``StoragePipeline`` calls
    ``write`` from one thread at a time.
    """

    def __init__(self, settings: Any, stats: Any, index: DuplicateIndex | None) -> None:
        self.database_url: str = settings.get("DATABASE_URL")
        self.stats = stats
        self.index = index
        self.engine: Engine | None = None
        self.last_error = ""  # why the last write that returned short failed
        self._tag_ids: dict[tuple[str, str], int] = {}

    def open(self) -> None:
        self.engine = make_engine(self.database_url)
        upgrade_database(self.engine)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def write(self, batch: list[ArticleItem], run_id: int | None) -> int:
        """Write a batch in one transaction; return how many of its items are done with
        (stored, or refused by the database and counted); the rest are to be tried again
        (``last_error`` says why)."""
        assert self.engine is not None
        try:
            with self.engine.begin() as conn:
                self._lock(conn)
                counts = self._write(conn, batch, run_id)
        except (OperationalError, InterfaceError) as exc:
            # The database is away (locked too long, server restarted or not answering, disk
            # full): the caller spools the batch; it logs the outage once (last_error).
            self.stats.inc_value("storage/errors")
            self.last_error = f"{exc.__class__.__name__}: {first_line(exc)}"
            logger.debug("storage: cannot write %d articles (%s)", len(batch), self.last_error)
            self._forget()  # ids from a rolled-back transaction may not exist
            return 0
        except SQLAlchemyError:
            # One bad row must not block the rest forever: write them one by one.
            self._forget()
            return self._write_one_by_one(batch, run_id)
        self._count(counts)
        return len(batch)

    def _write_one_by_one(self, batch: list[ArticleItem], run_id: int | None) -> int:
        assert self.engine is not None
        for position, item in enumerate(batch):
            try:
                with self.engine.begin() as conn:
                    self._lock(conn)
                    self._count(self._write(conn, [item], run_id))
            except (OperationalError, InterfaceError) as exc:
                self.stats.inc_value("storage/errors")
                self.last_error = f"{exc.__class__.__name__}: {first_line(exc)}"
                logger.debug("storage: database unavailable (%s); %d articles not written",
                             self.last_error, len(batch) - position)
                self._forget()
                return position
            except SQLAlchemyError as exc:
                self._forget()
                self.stats.inc_value("storage/errors")
                self.stats.inc_value("storage/rejected")
                logger.error(
                    "storage: article rejected by the database, not stored: %s (%s)",
                    item.url,
                    first_line(exc),
                )
        return len(batch)

    def _forget(self) -> None:
        """After a rollback: ids handed out in the failed transaction no longer exist."""
        self._tag_ids.clear()
        if self.index is not None:
            self.index.rolled_back()

    def _count(self, counts: dict[str, int]) -> None:
        for key, value in counts.items():
            if value:
                self.stats.inc_value(key, value)

    @staticmethod
    def _lock(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_STORE_LOCK})

    def _write(
        self, conn: Connection, batch: list[ArticleItem], run_id: int | None
    ) -> dict[str, int]:
        counts = {
            "storage/new": 0,
            "storage/updated": 0,
            "storage/duplicate_dropped": 0,
            "storage/near_duplicate": 0,
            "crawl/items_new": 0,
            "crawl/items_duplicate": 0,
        }
        now = utcnow()
        self._resolve_tags(conn, {(tag.name, tag.kind) for item in batch for tag in item.tags})
        tag_rows: dict[int, list[tuple[int, int, float]]] = {}
        urls = list(dict.fromkeys(item.url for item in batch))
        existing = {
            url: (article_id, old_hash)
            for url, article_id, old_hash in conn.execute(
                select(articles.c.url, articles.c.id, articles.c.content_hash)
                .where(articles.c.url.in_(urls))
            )
        }
        for item in batch:
            if self.index is not None:
                self.index.analysis(item)  # content_hash and simhash, if dedup left them out
            values = _row_values(item, run_id, now)
            article_id, old_hash = existing.get(item.url, (None, None))
            refreshed = article_id is not None
            if article_id is not None:
                conn.execute(update(articles).where(articles.c.id == article_id).values(**values))
                if old_hash != item.content_hash and self.index is not None:
                    # The body changed: its near-duplicate keys must follow.
                    self.index.refresh(conn, article_id, item)
                counts["storage/updated"] += 1
                counts["crawl/items_duplicate"] += 1
            else:
                first = self.index.first_copy(conn, item) if self.index is not None else None
                if first is not None and first[2] and first[1] == item.portal:
                    # An identical article already stored by this portal under another URL
                    # (print version, tracking parameter the canonical rule missed).
                    counts["storage/duplicate_dropped"] += 1
                    counts["crawl/items_duplicate"] += 1
                    logger.debug("duplicate of article %d dropped: %s", first[0], item.url)
                    continue
                item.duplicate_of = first[0] if first is not None else None
                if item.duplicate_of is not None:
                    counts["storage/near_duplicate"] += 1
                values.update(url=item.url, first_seen_at=now, duplicate_of=item.duplicate_of)
                article_id = int(_INSERT_ARTICLE.rows(conn, values)[0][0])
                existing[item.url] = (article_id, item.content_hash)
                if self.index is not None:
                    self.index.add(conn, article_id, item)
                counts["storage/new"] += 1
                counts["crawl/items_new"] += 1
            if refreshed:
                conn.execute(_DELETE_TAGS, {"article_id": article_id})
            # Keyed by article: a URL twice in one batch (two tracking variants) keeps the last.
            tag_rows[article_id] = self._tag_rows(article_id, item.tags)
        rows = [row for article_rows in tag_rows.values() for row in article_rows]
        for chunk in _chunks(rows):  # at the end of the batch: nothing in it reads them back
            values_statement("INSERT INTO article_tags (article_id, tag_id, score)", 3,
                             len(chunk)).execute(conn, value_params(chunk))
        return counts

    def _tag_rows(self, article_id: int, tags: Iterable[Tag]) -> list[tuple[int, int, float]]:
        scores: dict[int, float] = {}
        for tag in tags:
            tag_id = self._tag_ids[(tag.name, tag.kind)]
            scores[tag_id] = max(scores.get(tag_id, 0.0), float(tag.score))
        return [(article_id, tag_id, score) for tag_id, score in scores.items()]

    def _resolve_tags(self, conn: Connection, keys: set[tuple[str, str]]) -> None:
        """Ids of the batch's tags not seen yet: created if new, then read, a statement per
        100 names (keywords keep coming: new names are frequent enough to be on the hot path)."""
        missing = sorted(keys.difference(self._tag_ids))
        for chunk in _chunks(missing):  # ON CONFLICT: SQLite >= 3.24 and PostgreSQL alike
            values_statement("INSERT INTO tags (name, kind)", 2, len(chunk),
                             "ON CONFLICT DO NOTHING").execute(conn, value_params(chunk))
        wanted = set(missing)
        for chunk in _chunks(sorted({name for name, _ in missing})):
            statement = in_list_statement("SELECT id, name, kind FROM tags WHERE name IN",
                                          len(chunk))
            for tag_id, name, kind in statement.rows(conn, list_params(chunk)):
                if (name, kind) in wanted:
                    self._tag_ids[(name, kind)] = int(tag_id)


def first_line(exc: Exception) -> str:
    """The first line of a database error, short enough for one log line."""
    return (str(exc).splitlines() or [""])[0][:200]


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value


def _row_values(item: ArticleItem, run_id: int | None, now: Any) -> dict[str, Any]:
    """Columns refreshed on every store; ``url``, ``first_seen_at`` and ``duplicate_of`` are not."""
    return {
        "portal": item.portal,
        "section": _cut(item.section, 200),
        "title": item.title,
        "published_at": item.published_at,
        "author": _cut(item.author, 500),
        "source": _cut(item.source, 500),
        "source_url": _cut(item.source_url, 2000),
        "is_reprint": bool(item.is_reprint),
        "body": item.body,
        "content_hash": item.content_hash,
        "simhash": item.simhash,
        "last_seen_at": now,
        "crawl_run_id": run_id,
    }
