"""How far each section's list pages were walked, so that an interrupted run leaves no gap.

A run re-reads a section's list pages from the first and follows the next page while pages
still hold articles it has not stored. Stopping at the first page with nothing new loses
articles for good after any interruption: a run killed after storing pages 1-3 leaves pages
4-20 unfetched, and the next run sees page 1 fully stored and stops. So the walk is kept as
state (table ``section_walks``, migration 0005):

- while a run walks, each list page it requests marks the section "not caught up" and raises
  ``resume_depth`` to that page; the write starts when the page is requested and is waited
  for before the page's article links are followed (not before the next list page is
  requested), so a kill -9 leaves it behind before any of those articles can be stored;
- a run that ends normally, whose walk reached the end of the section or
  ``PORTAL_CAUGHT_UP_PAGES`` pages in a row with nothing new, and that fetched and stored every
  article it found, marks the section caught up (``resume_depth`` 0);
- the next run walks at least to ``resume_depth`` whatever it finds on the way, then on until
  it is caught up (or reaches its page limit, which it then reports).

The spider decides what to fetch and sends ``list_page_requested`` and ``list_page_walked``;
this extension is the one that writes, so the spider never touches the database. Why two
signals: on SQLite the progress write waits for the storage writer's transaction (one lock
for all writers; a batch of 50 articles holds it 35 ms alone, 100-250 ms beside a busy reactor
thread), and a walk that waited for it on every list page left the downloader without work
(~0.3 s of a 1,000-page benchmark crawl). Started when the page is requested, the write is
mostly done before the page comes back. All writes go through one thread, in order, so the
outcome written at the end is never overtaken by a progress write.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from crawler.storage.engine import conflict_insert, make_engine
from crawler.storage.outage import OutageLog
from crawler.storage.tables import section_walks, utcnow

logger = logging.getLogger(__name__)

# Sent by the spider for every list page it requests (portal, section_url, page); not waited for.
list_page_requested = object()
# Sent, and waited for, when it has read one and before it follows its links (same arguments).
list_page_walked = object()

# Why a walk stopped: the first two mean nothing is left behind (if every article was stored).
STOP_END = "end"  # no next page
STOP_CAUGHT_UP = "caught_up"  # enough pages in a row with nothing new, past resume_depth
STOP_LIMIT = "max_pages"  # the page limit, with new articles still appearing
STOP_FAILED = "list_failed"  # a list page could not be read
STOP_LOOP = "pager_loop"  # the next page is one already walked: the pager goes round
COMPLETE_STOPS = frozenset({STOP_END, STOP_CAUGHT_UP, STOP_LOOP})


@dataclass
class WalkReport:
    """What one run saw of one section, kept by the spider and read here at the end."""

    portal: str
    section_url: str
    resume_depth: int = 0  # as loaded at the start: walk at least this deep
    deepest: int = 0
    stop: str | None = None  # None: the walk never stopped (interrupted)
    article_failures: int = 0
    walked: set[str] = field(default_factory=set, repr=False)  # list page URLs read this run

    def complete(self) -> bool:
        return self.stop in COMPLETE_STOPS and not self.article_failures


def load_resume_depths(database_url: str, sections: list[tuple[str, str]]) -> dict[
        tuple[str, str], int]:
    """``resume_depth`` of each (portal, section URL) that has one; empty when the table is
    unreadable (a first run, or a database that is away: then the walk is a plain one)."""
    if not sections:
        return {}
    engine = make_engine(database_url, writer=False)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(section_walks.c.portal, section_walks.c.section_url,
                       section_walks.c.resume_depth, section_walks.c.caught_up)
                .where(section_walks.c.portal.in_({p for p, _ in sections}))
            ).all()
    except SQLAlchemyError as exc:
        logger.warning("cannot read how far sections were walked before (%s); walking as if "
                       "they were caught up", exc.__class__.__name__)
        return {}
    finally:
        engine.dispose()
    wanted = set(sections)
    return {(p, u): depth for p, u, depth, caught_up in rows
            if (p, u) in wanted and not caught_up and depth}


class SectionWalkRecorder:
    """Writes ``section_walks``: progress as list pages are read, the outcome at the end."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.database_url: str = crawler.settings.get("DATABASE_URL")
        self.engine: Engine | None = None
        self.outage = OutageLog(logger, "section walks: the database")
        self._closing = False  # an outcome write failed at the end: skip the others
        self._writes: ThreadPoolExecutor | None = None  # one thread: writes stay in order
        self._pending: dict[tuple[str, str, int], Future[None]] = {}  # progress being written

    @classmethod
    def from_crawler(cls, crawler: Any) -> SectionWalkRecorder:
        if not crawler.settings.getbool("SECTION_WALKS_ENABLED"):
            raise NotConfigured
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.page_requested, signal=list_page_requested)
        crawler.signals.connect(recorder.page_walked, signal=list_page_walked)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Any) -> None:
        self.engine = make_engine(self.database_url)
        self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="section-walks")

    def page_requested(self, portal: str, section_url: str, page: int) -> None:
        """Start writing the progress of a page the walk is about to fetch."""
        key = (portal, section_url, page)
        if self._writes is not None and key not in self._pending:
            self._pending[key] = self._writes.submit(self._record_progress, *key)

    async def page_walked(self, portal: str, section_url: str, page: int) -> None:
        """Return once the page's progress is written (or given up on: database away)."""
        if self._writes is None:
            return
        key = (portal, section_url, page)
        # None: requested by another worker of a shared frontier (crawler.frontier), so the
        # write this worker can wait for is a new one.
        future = self._pending.pop(key, None) or self._writes.submit(
            self._record_progress, *key)
        await asyncio.wrap_future(future)

    def spider_closed(self, spider: Any, reason: str) -> None:
        reports: dict[Any, WalkReport] = getattr(spider, "walks", {})
        stats = self.crawler.stats
        stored_all = not (stats.get_value("storage/failed_batches")
                          or stats.get_value("storage/lost_items"))
        shared = bool(stats.get_value("frontier/worker"))
        if self._writes is not None:
            self._writes.shutdown(wait=True)  # progress writes first, then the outcomes
            self._writes = None
            self._pending.clear()
        for report in reports.values():
            caught_up = reason == "finished" and stored_all and report.complete()
            if report.deepest == 0:
                continue  # its first list page never came back: nothing was learnt
            if shared and reason == "finished" and report.stop is None:
                # A worker of a shared crawl (crawler.frontier) that finished: the walk went on
                # in another worker, which records how it ended. Every list page read is
                # already marked (not caught up, at least that deep) by _record_progress, and
                # workers finish only once the whole crawl has, so nothing is left behind.
                continue
            if not caught_up:
                logger.warning(
                    "section %s (%s) is not caught up: %s; the next run walks its list pages "
                    "at least %d deep", report.section_url, report.portal,
                    _why_not(report, reason, stored_all),
                    max(report.deepest, report.resume_depth))
            self._record_outcome(report, caught_up)
        if self.engine is not None:
            self.engine.dispose()

    # -- writing --------------------------------------------------------------------------

    def _record_progress(self, portal: str, section_url: str, page: int) -> None:
        if not self.outage.should_try():
            # The database is away: the walk goes on without waiting; what it stores in the
            # meantime is spooled, and the next run walks at least as deep as recorded.
            self.crawler.stats.inc_value("section_walks/errors")
            return
        try:
            self._upsert(portal, section_url, lambda row: _deeper(row, page))
        except SQLAlchemyError as exc:
            self.outage.failed(f"cannot record the walk of {section_url} at page {page}: "
                               f"{exc.__class__.__name__}",
                               "the next run walks those sections from their first page on")
            self.crawler.stats.inc_value("section_walks/errors")
        else:
            self.outage.worked()

    def _record_outcome(self, report: WalkReport, caught_up: bool) -> None:
        def outcome(row: dict[str, Any]) -> None:
            row["last_depth"] = report.deepest
            row["caught_up"] = caught_up
            row["resume_depth"] = 0 if caught_up else max(
                row["resume_depth"] or 0, report.deepest, report.resume_depth)

        if self.outage.away and self._closing:
            # Already failed in this close: one bounded wait, not one per section. The
            # progress rows written while walking still hold how deep each walk went.
            self.crawler.stats.inc_value("section_walks/errors")
            return
        try:
            self._upsert(report.portal, report.section_url, outcome)
        except SQLAlchemyError as exc:
            self._closing = True
            self.outage.failed(f"cannot record the end of the walk of {report.section_url}: "
                               f"{exc.__class__.__name__}",
                               "the next run walks those sections at least as deep again")
            self.crawler.stats.inc_value("section_walks/errors")
        else:
            self.outage.worked()

    def _upsert(self, portal: str, section_url: str, change: Any) -> None:
        """Read-modify-write of one row in one transaction, the row locked (``FOR UPDATE`` on
        PostgreSQL; SQLite's writer transactions are exclusive anyway): the workers of one
        crawl on a shared frontier record the same section at the same time, and a lost
        update would lower ``resume_depth``. The row is created first if missing, by an insert
        that does nothing when another worker created it in the meantime, so that two first
        walks of a section do not both insert it."""
        if self.engine is None:
            return
        key = (section_walks.c.portal == portal) & (section_walks.c.section_url == section_url)
        with self.engine.begin() as conn:
            conn.execute(conflict_insert(conn, section_walks).values(
                portal=portal, section_url=section_url, caught_up=False, resume_depth=0,
                last_depth=0, updated_at=utcnow()).on_conflict_do_nothing())
            row = dict(conn.execute(
                select(section_walks.c.caught_up, section_walks.c.resume_depth,
                       section_walks.c.last_depth).where(key).with_for_update()).one()._mapping)
            change(row)
            row["last_run_id"] = getattr(self.crawler.spider, "crawl_run_id", None)
            row["updated_at"] = utcnow()
            conn.execute(update(section_walks).where(key).values(**row))


def _deeper(row: dict[str, Any], page: int) -> None:
    row["caught_up"] = False
    row["resume_depth"] = max(row["resume_depth"] or 0, page)


def _why_not(report: WalkReport, reason: str, stored_all: bool) -> str:
    if reason != "finished":
        return f"the crawl stopped early ({reason})"
    if not stored_all:
        return "some articles could not be stored"
    if report.stop is None:
        return "its walk was interrupted"
    if report.stop == STOP_LIMIT:
        return (f"the page limit ({report.deepest}) was reached with new articles still "
                "appearing (raise max_pages to go deeper)")
    if report.stop == STOP_FAILED:
        return f"list page {report.deepest + 1} could not be read"
    return f"{report.article_failures} of its articles could not be fetched"
