"""Last pipeline: buffers articles and has the writer thread store them, or spool them.

Items are written ``STORAGE_BATCH_SIZE`` at a time in one transaction: a commit per item is the
slow path on both SQLite and PostgreSQL. The dedup index (``pipelines.dedup.DedupIndex``) is
built here and handed to the writer, which asks it for the duplicate decision inside the
transaction that stores the article.

A batch is handed to a thread beside the reactor, one batch at a time and in order, so a slow
or stalled database holds up the writes, not the downloads or the signal handling; items wait
only when ``STORAGE_BACKLOG_BATCHES`` full batches are queued behind it. In that thread
``crawler.storage.durable.DurableStore`` writes the batch, or, while the database is away,
writes it to the spool at once (the crawl goes on at its pace); a probe here looks for the
database every ``STORAGE_PROBE_INTERVAL`` seconds, and once it answers the spool is replayed
(oldest first) before anything newer. The spool of an earlier run is replayed the same way,
in that thread, before this run's first batch. What is still in the spool when the crawl ends
makes the run ``failed`` ("storage failed: spooled N articles for the next run"); the next
run stores it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, NamedTuple

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Engine

from crawler.items import ArticleItem
from crawler.signals import items_stored
from crawler.storage.durable import DurableStore
from crawler.storage.engine import spool_dir_for
from crawler.storage.writer import ArticleWriter, first_line
from pipelines.dedup import DedupIndex

logger = logging.getLogger(__name__)


class Waiting(NamedTuple):
    """A buffered item and when it came (monotonic): a stored batch tells the frontier that
    everything handed over up to its last item is in the database."""

    item: ArticleItem
    came: float


class StoragePipeline:
    """Buffers items and has a ``DurableStore`` store (or spool) them,
    ``STORAGE_BATCH_SIZE`` at a time, in a thread (one batch in flight, in order)."""

    # Sends crawler.signals.items_stored: the shared frontier (crawler.frontier) keeps a request
    # in flight until its item is in the database (or fsynced in the spool).
    sends_items_stored = True

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = max(1, settings.getint("STORAGE_BATCH_SIZE"))
        self.backlog_limit = self.batch_size * max(1, settings.getint("STORAGE_BACKLOG_BATCHES"))
        self.retry_attempts = settings.getint("STORAGE_CLOSE_RETRIES")
        self.retry_delay = settings.getfloat("STORAGE_CLOSE_RETRY_DELAY")
        self.probe_interval = max(0.1, settings.getfloat("STORAGE_PROBE_INTERVAL"))
        self.buffer: list[Waiting] = []
        self.writer = ArticleWriter(
            settings, crawler.stats,
            DedupIndex.from_crawler(crawler) if settings.getbool("DEDUP_ENABLED") else None)
        self.spool_dir = spool_dir_for(settings.get("DATABASE_URL"),
                                       settings.get("STORAGE_SPOOL_DIR") or "")
        self.store = DurableStore(self.writer, self.spool_dir, self.batch_size, crawler.stats)
        self._flushing: asyncio.Task[bool] | None = None
        self._probing: asyncio.Task[None] | None = None
        self._closing = False

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
        if self._flushing is not None:
            return
        if self.buffer:
            self._start_flush()
        else:  # everything handed over so far is written: requests finished since are free
            self.crawler.signals.send_catch_log(items_stored, since=time.monotonic())

    @property
    def engine(self) -> Engine | None:
        return self.writer.engine

    def open_spider(self, spider: Any = None) -> None:
        self.spider = spider if spider is not None else self.crawler.spider
        self.writer.open()
        # What earlier crawls spooled is stored first, in the writer thread: the reactor
        # goes on with the crawl meanwhile, and new batches queue behind it. (Without a
        # running loop, as in scripts, the first batch or the close replays it.)
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            self._start_flush()

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        self.buffer.append(Waiting(item, time.monotonic()))
        if len(self.buffer) >= self.batch_size and self._flushing is None:
            self._start_flush()
        # A database slower than the crawl: items wait here instead of filling memory.
        while len(self.buffer) >= self.backlog_limit and self._flushing is not None:
            await self._flush_finished()
            if len(self.buffer) >= self.batch_size and self._flushing is None:
                self._start_flush()
        return item

    async def writes_done(self) -> None:
        """Wait until no batch is being written (and none that is due is waiting)."""
        while self._flushing is not None:
            await self._flush_finished()

    async def _flush_finished(self) -> None:
        """Wait for the batch in flight. Awaiting a task that is already done does not yield,
        and its done callback (which clears ``_flushing``) is only scheduled: without a yield
        here a waiting loop spun at 100 % CPU forever (seen with a database slower than the
        crawl)."""
        flushing = self._flushing
        if flushing is None:
            return
        if flushing.done():
            await asyncio.sleep(0)
        else:
            await asyncio.shield(flushing)

    async def flush(self) -> bool:
        """Wait for the batch in flight, then write what is buffered (scripts and tests that
        feed items themselves); True when nothing is left over."""
        await self.writes_done()
        return await self._write_all()

    async def close_spider(self, spider: Any = None) -> None:
        try:
            self._closing = True  # from here on, the close looks for the database itself
            if self._probing is not None:
                self._probing.cancel()
            await self.writes_done()
            run_id = getattr(self.spider, "crawl_run_id", None)
            for attempt in range(1, max(1, self.retry_attempts) + 1):
                written = await self._write_all()
                if written and await asyncio.to_thread(self.store.recover, run_id):
                    break
                if attempt < self.retry_attempts:
                    await asyncio.sleep(self.retry_delay)
            self._give_up_on_buffer()
            await self._count_spooled()
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
        """Store or spool a batch in a thread (an empty one: only replay the spool); what
        could not be taken care of goes back to the buffer's head, so the order is kept."""
        cut = time.monotonic()
        waiting = self.buffer[: self.batch_size]
        del self.buffer[: self.batch_size]
        batch = [w.item for w in waiting]
        whole = not self.buffer  # the batch is all that had come by ``cut``
        run_id = getattr(self.spider, "crawl_run_id", None)
        try:
            done = await asyncio.to_thread(self.store.store, batch, run_id)
        except Exception as exc:  # noqa: BLE001 -- a bug must not lose the batch: retried
            done = 0
            self.stats.inc_value("storage/errors")
            logger.exception("storage: storing %d articles failed (%s); keeping them",
                             len(batch), first_line(exc))
        if self.store.away:
            self._start_probe()
        if done:
            # Batches are written in order, so every item that came before this batch's last
            # written one (or before the cut, when the batch was all there was) is in the
            # database or the spool now: the frontier releases their requests batch by batch,
            # not only when the buffer happens to run empty.
            since = cut if whole and done == len(batch) else waiting[done - 1].came
            self.crawler.signals.send_catch_log(items_stored, since=since)
        if done < len(batch):
            self.buffer[:0] = waiting[done:]
            return False
        return True

    def _start_probe(self) -> None:
        if self._closing:
            return
        if self._probing is None or self._probing.done():
            self._probing = asyncio.ensure_future(self._probe())

    async def _probe(self) -> None:
        """While the database is away, look for it; once it answers, have the writer thread
        replay the spool even if no new item comes."""
        while self.store.away and not self._closing:
            await asyncio.sleep(self.probe_interval)
            if await asyncio.to_thread(self.store.probe) and self._flushing is None:
                self._start_flush()

    def _give_up_on_buffer(self) -> None:
        """Neither the database nor the spool took these: lost (counted, one line)."""
        if not self.buffer:
            return
        self.stats.inc_value("storage/failed_batches")
        self.stats.inc_value("storage/lost_items", len(self.buffer))
        logger.error(
            "storage: giving up on %d articles: neither the database nor the spool (%s) "
            "would take them", len(self.buffer), self.spool_dir)
        self.buffer.clear()

    async def _count_spooled(self) -> None:
        """What is left in the spool waits for the next run: the run failed to store it."""
        with contextlib.suppress(OSError):
            pending = await asyncio.to_thread(self.store.pending_items)
            if pending:
                self.stats.inc_value("storage/failed_batches")
                self.stats.set_value("storage/spool_pending", pending)
                logger.error(
                    "storage: %d articles wait in the spool %s, the database stayed "
                    "unavailable; the next run stores them first", pending, self.spool_dir)
