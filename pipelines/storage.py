"""Last pipeline: buffers articles and has ``crawler.storage.writer.ArticleWriter`` store them.

Items are written ``STORAGE_BATCH_SIZE`` at a time in one transaction: a commit per item is the
slow path on both SQLite and PostgreSQL. The dedup index (``pipelines.dedup.DedupIndex``) is
built here and handed to the writer, which asks it for the duplicate decision inside the
transaction that stores the article.

A batch is written in a thread beside the reactor, one batch at a time and in order, so a slow
or stalled database holds up the writes, not the downloads or the signal handling; items wait
only when ``STORAGE_BACKLOG_BATCHES`` full batches are queued behind it. When the database
goes away the batch stays in memory and is retried with the next flush; nothing already stored
is touched, and the failure is counted in ``crawl_runs.errors``. What is still unstored when
the crawl ends goes to the spool (``crawler.storage.spool``), replayed by the next run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Engine

from crawler.items import ArticleItem
from crawler.signals import items_stored
from crawler.storage.engine import spool_dir_for
from crawler.storage.spool import read_spool, spool_files, write_spool
from crawler.storage.writer import ArticleWriter, first_line
from pipelines.dedup import DedupIndex

logger = logging.getLogger(__name__)


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
        self.writer = ArticleWriter(
            settings, crawler.stats,
            DedupIndex.from_crawler(crawler) if settings.getbool("DEDUP_ENABLED") else None)
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
                             len(batch), first_line(exc))
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
