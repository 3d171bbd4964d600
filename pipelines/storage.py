"""Last pipeline: idempotent, batched upserts of articles and their tags.

Keyed on the canonical URL, so a re-crawl updates a row instead of adding one. Items are
buffered and written ``STORAGE_BATCH_SIZE`` at a time in one transaction: a commit per item
is the slow path on both SQLite and PostgreSQL. The duplicate decision of the dedup index
(``pipelines.dedup.DedupIndex``, owned here) and the insert happen in that same transaction,
under a lock shared by every crawl process, so two crawls storing the same story at once still
give one first copy.

A batch is written in a thread beside the reactor, one batch at a time and in order, so a slow
or stalled database holds up the writes, not the downloads or the signal handling; items wait
only when ``STORAGE_BACKLOG_BATCHES`` full batches are queued behind it. When the database
goes away the batch stays in memory and is retried with the next flush; nothing already stored
is touched, and the failure is counted in ``crawl_runs.errors``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from crawler.db import DriverStatement, make_engine, spool_dir_for, upgrade_database
from crawler.items import ArticleItem, Tag
from crawler.models import Article, ArticleTag, utcnow
from crawler.signals import items_stored
from pipelines.dedup import DedupIndex
from pipelines.spool import read_spool, spool_files, write_spool

logger = logging.getLogger(__name__)

_PG_STORE_LOCK = 7_201_612  # pg_advisory_xact_lock key shared by every crawl process

# Built once: building a SQLAlchemy statement per row cost more than executing it.
_ARTICLE_COLUMNS = [c.name for c in Article.__table__.c if c.name != "id"]  # all given
_INSERT_ARTICLE = DriverStatement(
    f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) "
    f"VALUES ({', '.join(':' + name for name in _ARTICLE_COLUMNS)}) RETURNING id",
    types={name: Article.__table__.c[name].type for name in _ARTICLE_COLUMNS},
)
_DELETE_TAGS = ArticleTag.__table__.delete().where(
    ArticleTag.__table__.c.article_id == bindparam("article_id"))
_INSERT_TAG = DriverStatement(  # ON CONFLICT: SQLite >= 3.24 and PostgreSQL alike
    "INSERT INTO tags (name, kind) VALUES (:name, :kind) ON CONFLICT DO NOTHING")
_SELECT_TAG = DriverStatement("SELECT id FROM tags WHERE name = :name AND kind = :kind")
_INSERT_TAGS = DriverStatement(
    "INSERT INTO article_tags (article_id, tag_id, score) VALUES (:article_id, :tag_id, :score)")


class ArticleWriter:
    """The database side of storage: batches of articles written in transactions.

    The one place that decides what a batch does to the database; ``StoragePipeline`` calls
    ``write`` from one thread at a time.
    """

    def __init__(self, settings: Any, stats: Any, index: DedupIndex | None) -> None:
        self.database_url: str = settings.get("DATABASE_URL")
        self.stats = stats
        self.index = index
        self.engine: Engine | None = None
        self._tag_ids: dict[tuple[str, str], int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticleWriter:
        settings = crawler.settings
        index = DedupIndex.from_crawler(crawler) if settings.getbool("DEDUP_ENABLED") else None
        return cls(settings, crawler.stats, index)

    def open(self) -> None:
        self.engine = make_engine(self.database_url)
        upgrade_database(self.engine)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def write(self, batch: list[ArticleItem], run_id: int | None) -> int:
        """Write a batch in one transaction; return how many of its items are done with
        (stored, or refused by the database and counted); the rest are to be tried again."""
        assert self.engine is not None
        try:
            with self.engine.begin() as conn:
                self._lock(conn)
                counts = self._write(conn, batch, run_id)
        except (OperationalError, InterfaceError) as exc:
            # The database is away (locked too long, server restarted, disk full): the caller
            # keeps the batch and tries again with the next flush.
            self.stats.inc_value("storage/errors")
            logger.error(
                "storage: cannot write %d articles (%s: %s); keeping them for a retry",
                len(batch),
                exc.__class__.__name__,
                _first_line(exc),
            )
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
                logger.error(
                    "storage: database unavailable (%s); keeping %d articles",
                    _first_line(exc),
                    len(batch) - position,
                )
                return position
            except SQLAlchemyError as exc:
                self._forget()
                self.stats.inc_value("storage/errors")
                self.stats.inc_value("storage/rejected")
                logger.error(
                    "storage: article rejected by the database, not stored: %s (%s)",
                    item.url,
                    _first_line(exc),
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
        tag_rows: dict[int, list[dict[str, Any]]] = {}
        urls = list(dict.fromkeys(item.url for item in batch))
        existing = {
            url: (article_id, old_hash)
            for url, article_id, old_hash in conn.execute(
                select(Article.url, Article.id, Article.content_hash).where(Article.url.in_(urls))
            )
        }
        for item in batch:
            if self.index is not None:
                self.index.analysis(item)  # content_hash and simhash, if dedup left them out
            values = _row_values(item, run_id, now)
            article_id, old_hash = existing.get(item.url, (None, None))
            refreshed = article_id is not None
            if article_id is not None:
                conn.execute(update(Article).where(Article.id == article_id).values(**values))
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
                    logger.info("duplicate of article %d dropped: %s", first[0], item.url)
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
            tag_rows[article_id] = self._tag_rows(conn, article_id, item.tags)
        rows = [row for article_rows in tag_rows.values() for row in article_rows]
        if rows:  # one multi-row insert per batch: nothing in the batch reads them back
            _INSERT_TAGS.execute_many(conn, rows)
        return counts

    def _tag_rows(
        self, conn: Connection, article_id: int, tags: Iterable[Tag]
    ) -> list[dict[str, Any]]:
        scores: dict[int, float] = {}
        for tag in tags:
            tag_id = self._tag_id(conn, tag.name, tag.kind)
            scores[tag_id] = max(scores.get(tag_id, 0.0), float(tag.score))
        return [{"article_id": article_id, "tag_id": tag_id, "score": score}
                for tag_id, score in scores.items()]

    def _tag_id(self, conn: Connection, name: str, kind: str) -> int:
        key = (name, kind)
        cached = self._tag_ids.get(key)
        if cached is not None:
            return cached
        # Keywords keep coming: a new tag name is frequent enough to be on the hot path.
        _INSERT_TAG.execute(conn, {"name": name, "kind": kind})
        tag_id = int(_SELECT_TAG.rows(conn, {"name": name, "kind": kind})[0][0])
        self._tag_ids[key] = tag_id
        return tag_id




class StoragePipeline:
    """Buffers items and has an ``ArticleWriter`` store them, ``STORAGE_BATCH_SIZE`` at a
    time, in a thread (one batch in flight, in order)."""

    # Sends crawler.signals.items_stored: the shared frontier (crawler.frontier) keeps a request
    # in flight until its item is in the database.
    sends_items_stored = True

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = max(1, settings.getint("STORAGE_BATCH_SIZE"))
        self.backlog_limit = self.batch_size * max(1, settings.getint("STORAGE_BACKLOG_BATCHES"))
        self.retry_attempts = settings.getint("STORAGE_CLOSE_RETRIES")
        self.retry_delay = settings.getfloat("STORAGE_CLOSE_RETRY_DELAY")
        self.buffer: list[ArticleItem] = []
        self.writer = ArticleWriter.from_crawler(crawler)
        self.spool_dir = spool_dir_for(settings.get("DATABASE_URL"),
                                       settings.get("STORAGE_SPOOL_DIR") or "")
        self._flushing: asyncio.Task[bool] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoragePipeline:
        if not crawler.settings.getbool("STORAGE_ENABLED"):
            raise NotConfigured("storage disabled by STORAGE_ENABLED=False")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    def spider_idle(self) -> None:
        """Write the buffer when the crawl has nothing else to do: a worker of a shared crawl
        (crawler.frontier) waits idle for the others, its requests in flight until stored."""
        if self.buffer and self._flushing is None:
            self._start_flush()

    @property
    def engine(self) -> Engine | None:
        return self.writer.engine

    def open_spider(self, spider: Any = None) -> None:
        self.spider = spider if spider is not None else self.crawler.spider
        self.writer.open()
        self._replay_spool()

    def _replay_spool(self) -> None:
        """Store what earlier crawls spooled, oldest first, before anything new: the same
        writer, so dedup decides as if they had been stored then. A file goes only once all
        its items are stored; if the database fails again it stays for the next run."""
        run_id = getattr(self.spider, "crawl_run_id", None)
        for path in spool_files(self.spool_dir):
            items = list(read_spool(path))
            for start in range(0, len(items), self.batch_size):
                batch = items[start : start + self.batch_size]
                if self.writer.write(batch, run_id) < len(batch):
                    logger.error("storage: spool %s not replayed, the database failed; kept",
                                 path)
                    return
            path.unlink()
            self.stats.inc_value("storage/replayed_items", len(items))
            logger.info("storage: replayed %d spooled articles from %s", len(items), path)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        self.buffer.append(item)
        if len(self.buffer) >= self.batch_size and self._flushing is None:
            self._start_flush()
        # A database slower than the crawl: items wait here instead of filling memory.
        while len(self.buffer) >= self.backlog_limit and self._flushing is not None:
            await asyncio.shield(self._flushing)
            if len(self.buffer) >= self.batch_size and self._flushing is None:
                self._start_flush()
        return item

    async def writes_done(self) -> None:
        """Wait until no batch is being written (and none that is due is waiting)."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    async def flush(self) -> bool:
        """Wait for the batch in flight, then write what is buffered (scripts and tests that
        feed items themselves); True when nothing is left over."""
        await self.writes_done()
        return await self._write_all()

    async def close_spider(self, spider: Any = None) -> None:
        try:
            await self.writes_done()
            for attempt in range(1, self.retry_attempts + 1):
                if await self._write_all():
                    break
                if attempt < self.retry_attempts:
                    await asyncio.sleep(self.retry_delay)
            self._give_up_on_buffer()
        finally:
            await asyncio.to_thread(self.writer.close)

    def _start_flush(self) -> None:
        self._flushing = asyncio.ensure_future(self._flush())
        self._flushing.add_done_callback(self._flush_done)

    def _flush_done(self, task: asyncio.Task[bool]) -> None:
        if self._flushing is task:
            self._flushing = None
        # Written: a full batch waiting goes next. Not written: the next item tries again.
        if not task.cancelled() and task.result() and len(self.buffer) >= self.batch_size:
            self._start_flush()

    async def _write_all(self) -> bool:
        while self.buffer:
            if not await self._flush():
                return False
        return True

    async def _flush(self) -> bool:
        """Write a batch in a thread; what could not be written goes back to the buffer's
        head, so the order of the items is kept."""
        cut = time.monotonic()
        batch = self.buffer[: self.batch_size]
        del self.buffer[: self.batch_size]
        run_id = getattr(self.spider, "crawl_run_id", None)
        try:
            done = await asyncio.to_thread(self.writer.write, batch, run_id)
        except Exception as exc:  # noqa: BLE001 -- a bug must not lose the batch: retried
            done = 0
            self.stats.inc_value("storage/errors")
            logger.exception("storage: writing %d articles failed (%s); keeping them",
                             len(batch), _first_line(exc))
        if done < len(batch):
            self.buffer[:0] = batch[done:]
            return False
        if not self.buffer:
            self.crawler.signals.send_catch_log(items_stored, since=cut)
        return True

    def _give_up_on_buffer(self) -> None:
        """The database stayed away: spool the buffer for the next run (the run still counts
        as failed, so operators see it); lost only if the spool cannot be written either."""
        if not self.buffer:
            return
        self.stats.inc_value("storage/failed_batches")
        try:
            path = write_spool(self.spool_dir, self.buffer)
        except OSError as exc:
            logger.error("storage: cannot spool to %s (%s)", self.spool_dir, exc)
        else:
            self.stats.inc_value("storage/spooled_items", len(self.buffer))
            logger.error(
                "storage: spooled %d articles to %s, the database stayed unavailable; "
                "the next run stores them first", len(self.buffer), path)
            self.buffer.clear()
            return
        if self.buffer:
            self.stats.inc_value("storage/lost_items", len(self.buffer))
            logger.error(
                "storage: giving up on %d articles, the database stayed unavailable",
                len(self.buffer),
            )


def _first_line(exc: Exception) -> str:
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
