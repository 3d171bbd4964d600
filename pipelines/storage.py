"""Last pipeline: idempotent, batched upserts of articles and their tags.

Keyed on the canonical URL, so a re-crawl updates a row instead of adding one. Items are
buffered and written ``STORAGE_BATCH_SIZE`` at a time in one transaction: a commit per item
is the slow path on both SQLite and PostgreSQL. The duplicate decision of the dedup index and
the insert happen in that same transaction, under a lock shared by every crawl process, so two
crawls storing the same story at once still give one first copy.

When the database goes away mid-crawl the batch stays in memory and is retried with the next
flush; nothing already stored is touched, and the failure is counted in ``crawl_runs.errors``.

With ``STORAGE_WORKERS`` (the project's default: from 2 cores up) the batches are written by a
storage worker process: the crawl process keeps the buffer, hands each full batch over and goes
on, so the database work (and the dedup index's hashing and verification) runs beside the crawl
instead of on the crawl process's one reactor thread. One batch is in flight at a time, in
order; a batch the worker could not write comes back to the head of the buffer, as in-process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine, Iterable
from types import SimpleNamespace
from typing import Any, Protocol

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from crawler.db import DriverStatement, make_engine, upgrade_database
from crawler.items import ArticleItem, Tag
from crawler.models import Article, ArticleTag, utcnow
from crawler.signals import items_stored
from crawler.workers import WorkerPool

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


class DuplicateIndex(Protocol):
    """What storage asks the dedup index, inside its write transaction.

    An index may also have ``prepare(item)``, called first for every item: items reach
    storage without ``content_hash``/``simhash`` when DedupPipeline leaves the hashing to the
    index (storage in a worker process), and ``prepare`` fills them.
    """

    def first_copy(self, conn: Connection, item: ArticleItem) -> tuple[int, str, bool] | None:
        """(article id, its portal, exact copy?) of the first stored copy of this story."""

    def add(self, conn: Connection, article_id: int, item: ArticleItem) -> None:
        """Index a newly stored article."""


def storage_workers(settings: Any) -> int:
    """Storage worker processes for ``STORAGE_WORKERS``: 0 (write in the crawl process) or 1;
    -1 (auto) is 1 from 2 cores up. Absent setting: 0."""
    setting = settings.getint("STORAGE_WORKERS", 0)
    if setting < 0:
        return 1 if (os.cpu_count() or 1) >= 2 else 0
    return min(setting, 1)  # one writer: batches are written in order, one at a time


def _writer_settings(settings: Any) -> dict[str, Any]:
    """What a writer in a worker process needs of the crawl's settings (picklable values)."""
    return {name: value for name, value in settings.copy_to_dict().items()
            if name == "DATABASE_URL" or name.startswith(("STORAGE_", "DEDUP_"))}


class ArticleWriter:
    """The database side of storage: batches of articles written in transactions.

    Runs in the crawl process, or in the storage worker process (see ``StoragePipeline``);
    either way it is the one place that decides what a batch does to the database.
    """

    def __init__(self, settings: Any, stats: Any, index: DuplicateIndex | None) -> None:
        self.database_url: str = settings.get("DATABASE_URL")
        self.stats = stats
        self.index = index
        self.engine: Engine | None = None
        self._tag_ids: dict[tuple[str, str], int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticleWriter:
        settings = crawler.settings
        index_path = settings.get("DEDUP_INDEX_CLASS", "pipelines.dedup.DedupIndex")
        index_cls = (
            load_object(index_path)
            if settings.getbool("DEDUP_ENABLED", True) and index_path
            else None
        )
        # from_crawler when the index counts dedup/* stats, from_settings otherwise.
        index: DuplicateIndex | None = (
            None
            if index_cls is None
            else index_cls.from_crawler(crawler)
            if hasattr(index_cls, "from_crawler")
            else index_cls.from_settings(settings)
        )
        return cls(settings, crawler.stats, index)

    def open(self, *, upgrade: bool = True) -> None:
        self.engine = make_engine(self.database_url)
        if upgrade:
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
        if self.index is not None and hasattr(self.index, "rolled_back"):
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
        prepare = getattr(self.index, "prepare", None)
        for item in batch:
            if prepare is not None:
                prepare(item)  # hashes left to the index (see DedupIndex.prepare)
            values = _row_values(item, run_id, now)
            article_id, old_hash = existing.get(item.url, (None, None))
            refreshed = article_id is not None
            if article_id is not None:
                conn.execute(update(Article).where(Article.id == article_id).values(**values))
                if old_hash != item.content_hash and hasattr(self.index, "refresh"):
                    # The body changed: its near-duplicate keys must follow.
                    self.index.refresh(conn, article_id, item)  # type: ignore[union-attr]
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
    """Buffers items and has an ``ArticleWriter`` store them, ``STORAGE_BATCH_SIZE`` at a time:
    in this process, or in a storage worker process (``STORAGE_WORKERS``)."""

    # Sends crawler.signals.items_stored: the shared frontier (crawler.frontier) keeps a request
    # in flight until its item is in the database.
    sends_items_stored = True

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = max(1, settings.getint("STORAGE_BATCH_SIZE", 50))
        self.retry_attempts = settings.getint("STORAGE_CLOSE_RETRIES", 3)
        self.retry_delay = settings.getfloat("STORAGE_CLOSE_RETRY_DELAY", 1.0)
        self.buffer: list[ArticleItem] = []
        self.workers = storage_workers(settings)
        # In this process: the writer itself. With a worker: the settings it is made from there.
        self.writer: ArticleWriter | None = (
            ArticleWriter.from_crawler(crawler) if self.workers == 0 else None
        )
        self._worker_settings = _writer_settings(settings) if self.workers else {}
        self._log_level = settings.get("LOG_LEVEL", "DEBUG")
        self.pool: WorkerPool | None = None
        self._inflight: asyncio.Task[bool] | None = None
        # Items held beyond this wait for the batch in flight (a slow database slows the crawl
        # instead of filling memory).
        self._backlog_limit = 8 * self.batch_size

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoragePipeline:
        if not crawler.settings.getbool("STORAGE_ENABLED", True):
            raise NotConfigured
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_idle, signal=signals.spider_idle)
        return pipeline

    def spider_idle(self) -> None:
        """Write the buffer when the crawl has nothing else to do: a worker of a shared crawl
        (crawler.frontier) waits idle for the others, its requests in flight until stored."""
        if not self.buffer:
            return
        if self.pool is None:
            self._flush()
        elif self._inflight is None:
            self._start_remote_flush()

    @property
    def engine(self) -> Engine | None:
        """The in-process writer's engine (None with a storage worker)."""
        return self.writer.engine if self.writer is not None else None

    def open_spider(self, spider: Any = None) -> None:
        self.spider = spider if spider is not None else self.crawler.spider
        if self.writer is not None:
            self.writer.open()
            return
        # The schema is brought up to date here, before the worker (and the crawl) start.
        engine = make_engine(self._worker_settings["DATABASE_URL"])
        try:
            upgrade_database(engine)
        finally:
            engine.dispose()
        self.pool = WorkerPool(
            self.workers, _open_remote_writer, (self._worker_settings, self._log_level),
            name="storage",
        )

    def close_spider(self, spider: Any = None) -> Coroutine[Any, Any, None] | None:
        if self.pool is not None:
            return self._close_remote()  # Scrapy awaits it
        for attempt in range(1, self.retry_attempts + 1):
            if not self.buffer or self._flush():
                break
            if attempt < self.retry_attempts:
                time.sleep(self.retry_delay)
        self._give_up_on_buffer()
        assert self.writer is not None
        self.writer.close()
        return None

    def process_item(self, item: ArticleItem) -> Any:
        self.buffer.append(item)
        if self.pool is None:
            if len(self.buffer) >= self.batch_size:
                self._flush()
            return item
        if len(self.buffer) >= self.batch_size and self._inflight is None:
            self._start_remote_flush()
        if len(self.buffer) >= self._backlog_limit and self._inflight is not None:
            return self._after_batch_in_flight(item)
        return item

    def _give_up_on_buffer(self) -> None:
        if self.buffer:
            self.stats.inc_value("storage/failed_batches")
            self.stats.inc_value("storage/lost_items", len(self.buffer))
            logger.error(
                "storage: giving up on %d articles, the database stayed unavailable",
                len(self.buffer),
            )

    # -- in this process ------------------------------------------------------------------

    def _flush(self) -> bool:
        """Write the buffer; keep what could not be written for a retry."""
        assert self.writer is not None
        batch = self.buffer
        cut = time.monotonic()
        done = self.writer.write(batch, getattr(self.spider, "crawl_run_id", None))
        self.buffer = batch[done:]
        if not self.buffer:
            self.crawler.signals.send_catch_log(items_stored, since=cut)
        return not self.buffer

    # -- with a storage worker ------------------------------------------------------------

    def _start_remote_flush(self) -> None:
        batch, self.buffer = self.buffer, []
        self._cut = time.monotonic()  # for items_stored
        self._inflight = asyncio.ensure_future(self._flush_remote(batch))
        self._inflight.add_done_callback(self._remote_flush_done)

    def _remote_flush_done(self, task: asyncio.Task[bool]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled() and task.result():
            self.crawler.signals.send_catch_log(items_stored, since=self._cut)
        # Written: a full batch waiting goes next. Not written: the next item tries again.
        if not task.cancelled() and task.result() and len(self.buffer) >= self.batch_size:
            self._start_remote_flush()

    async def _after_batch_in_flight(self, item: ArticleItem) -> ArticleItem:
        while self._inflight is not None and len(self.buffer) >= self._backlog_limit:
            await asyncio.shield(self._inflight)
        return item

    async def _flush_remote(self, batch: list[ArticleItem]) -> bool:
        """Have the worker write ``batch``; what it could not write goes back to the buffer's
        head. Never raises: a failure is logged, counted and retried like a database outage."""
        assert self.pool is not None
        run_id = getattr(self.spider, "crawl_run_id", None)
        try:
            done, counts, records = await self.pool.run(_write_remote, batch, run_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 -- the worker died or the write raised
            done, counts, records = 0, {"storage/errors": 1}, []
            logger.error(
                "storage: the storage worker failed on %d articles (%s: %s); keeping them "
                "for a retry", len(batch), exc.__class__.__name__, _first_line(exc),
            )
        self._absorb(counts, records)
        if done < len(batch):
            self.buffer[:0] = batch[done:]
            return False
        return True

    async def _close_remote(self) -> None:
        assert self.pool is not None
        try:
            while self._inflight is not None:
                await asyncio.shield(self._inflight)
            for attempt in range(1, self.retry_attempts + 1):
                if not self.buffer:
                    break
                batch, self.buffer = self.buffer, []
                if not await self._flush_remote(batch) and attempt < self.retry_attempts:
                    await asyncio.sleep(self.retry_delay)
            self._give_up_on_buffer()
            try:
                self._absorb(*await self.pool.run(_close_remote_writer))
            except Exception as exc:  # noqa: BLE001 -- nothing left to lose: say so, go on
                logger.warning("storage: closing the storage worker failed: %s", exc)
        finally:
            self.pool.close()

    def _absorb(self, counts: dict[str, int], records: list[tuple[str, int, str]]) -> None:
        """The worker's counts and log lines, as if they had happened here."""
        for key, value in counts.items():
            self.stats.inc_value(key, value)
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)


# -- the storage worker process ---------------------------------------------------------------


class _Tally:
    """Stats in the worker: increments kept until the crawl process collects them."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.counts[key] = self.counts.get(key, start) + count

    def get_value(self, key: str, default: Any = None) -> Any:
        return self.counts.get(key, default)

    def drain(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


class _Records(logging.Handler):
    """Log records of the worker, kept for the crawl process to log in its own log."""

    def __init__(self, level: int | str) -> None:
        super().__init__(level)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))

    def drain(self) -> list[tuple[str, int, str]]:
        records, self.records = self.records, []
        return records


_WRITER: ArticleWriter | None = None
_TALLY = _Tally()
_LOG = _Records(logging.DEBUG)


def _open_remote_writer(settings: dict[str, Any], log_level: str) -> None:
    """The worker's warm-up: its writer, with the crawl's settings, stats and log level."""
    global _WRITER
    _LOG.setLevel(log_level)
    root = logging.getLogger()
    root.addHandler(_LOG)
    root.setLevel(log_level)
    crawler = SimpleNamespace(settings=Settings(settings), stats=_TALLY)
    _WRITER = ArticleWriter.from_crawler(crawler)
    _WRITER.open(upgrade=False)  # the crawl process upgraded the schema before starting us


def _write_remote(
    batch: list[ArticleItem], run_id: int | None
) -> tuple[int, dict[str, int], list[tuple[str, int, str]]]:
    assert _WRITER is not None
    done = _WRITER.write(batch, run_id)
    return done, _TALLY.drain(), _LOG.drain()


def _close_remote_writer() -> tuple[dict[str, int], list[tuple[str, int, str]]]:
    if _WRITER is not None:
        _WRITER.close()
    return _TALLY.drain(), _LOG.drain()


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
