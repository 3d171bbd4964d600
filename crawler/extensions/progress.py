"""The crawl's own INFO lines: one start line, a progress line every ``PROGRESS_INTERVAL``
seconds, and exactly one summary line at the end. Replaces Scrapy's ``LogStats``.

Scrapy's ``LogStats`` says "Crawled N pages (at M pages/min), scraped K items" once a minute:
no totals an operator cares about (stored, duplicate, failed), no idea how long is left, and
nothing at the start or end that says which portals ran into which database and how it went.
This extension reads only ``crawler.stats`` (the same counters ``crawl_runs`` is filled from,
so the log and the table agree) and the spider's plan (sections and their page limits), and
logs through ``logging`` like everything else. The per-list-page line is the spider's own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crawler.runs.recorder import run_errors, run_status

logger = logging.getLogger(__name__)


def safe_database_url(url: str) -> str:
    """The database URL as it may appear in a log: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparseable DATABASE_URL>"


def sections_text(targets: Iterable[Any]) -> str:
    """``gkong [行业动态, 企业新闻], ca800 [新闻]``: which sections of which portals run."""
    by_portal: dict[str, list[str]] = {}
    for target in targets:
        by_portal.setdefault(target.portal.key, []).append(target.section.name or "?")
    return ", ".join(f"{key} [{', '.join(names)}]" for key, names in by_portal.items()) or "none"


def stored_text(stats: dict[str, Any]) -> str:
    """What storage did with the articles, as counted by the writer."""
    return (f"stored {int(stats.get('storage/new', 0))} new / "
            f"{int(stats.get('storage/updated', 0))} updated / "
            f"{int(stats.get('storage/duplicate_dropped', 0))} duplicate, "
            f"{run_errors(stats)} failed")


def list_pages_left(spider: Any) -> int | None:
    """At most how many list pages are still to be read, or None when that is not known.

    Every walk is bounded by ``max_pages`` (past an unfinished earlier walk's depth), so a
    section still walking has at most ``bound - deepest`` pages left; one that stopped has none.
    """
    targets = getattr(spider, "targets", None)
    walks = getattr(spider, "walks", None)
    bound = getattr(spider, "max_pages_for", None)
    if not targets or not walks or bound is None:
        return None
    left = 0
    for target in targets:
        walk = walks.get(target.key)
        if walk is None:  # not started yet
            return None
        if walk.stop is None:
            left += max(0, bound(target) - walk.deepest)
    return left


def eta_seconds(stats: dict[str, Any], queued: int, lists_left: int | None,
                rate: float) -> float | None:
    """Seconds until the crawl ends at ``rate`` pages/s: the requests queued now, plus each
    list page still to come with as many new articles as a list page has brought so far."""
    if lists_left is None or rate <= 0:
        return None
    list_pages = int(stats.get("portal/list_pages", 0))
    new_links = int(stats.get("portal/article_links", 0)) - int(
        stats.get("portal/article_links_known", 0))
    per_list = 1 + (new_links / list_pages if list_pages else 0)
    return (queued + lists_left * per_list) / rate


def _duration(seconds: float) -> str:
    if seconds < 10:  # a short crawl (tests, the demo): tenths say more than "0s"
        return f"{max(0.0, seconds):.1f}s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class CrawlProgress:
    """Start, progress and summary lines of one crawl (``PROGRESS_INTERVAL`` seconds apart;
    0: no progress lines, start and summary still)."""

    def __init__(self, crawler: Any, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.task: Any = None
        self._last = (self.started, 0)  # (time, pages) at the previous progress line

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        ext = cls(crawler, crawler.settings.getfloat("PROGRESS_INTERVAL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self._last = (self.started, 0)
        run_id = getattr(spider, "crawl_run_id", None)
        logger.info("crawl started%s: %s; database %s",
                    f" (run {run_id})" if run_id is not None else "",
                    sections_text(getattr(spider, "targets", ())),
                    safe_database_url(self.crawler.settings.get("DATABASE_URL", "")))
        if self.interval > 0:
            self.task = create_looping_call(self.log_progress, spider)
            self.task.start(self.interval, now=False)

    def log_progress(self, spider: Any) -> None:
        stats = self.crawler.stats.get_stats()
        now, pages = time.monotonic(), int(stats.get("downloader/response_count", 0))
        then, pages_then = self._last
        self._last = (now, pages)
        rate = (pages - pages_then) / (now - then) if now > then else 0.0
        queued = max(0, int(stats.get("scheduler/enqueued", 0))
                     - int(stats.get("scheduler/dequeued", 0)))
        lists_left = list_pages_left(spider)
        eta = eta_seconds(stats, queued, lists_left, rate)
        # Extracted counts articles on their way to the database (stored in batches).
        logger.info("progress: %d pages (%d list), %d articles extracted, %s; %.1f pages/s%s",
                    pages, int(stats.get("portal/list_pages", 0)),
                    int(stats.get("portal/articles_extracted", 0)), stored_text(stats), rate,
                    f"; ETA {_duration(eta)} (at most {lists_left} list pages left)"
                    if eta is not None else "")

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        stats = self.crawler.stats.get_stats()
        status, message = run_status(stats, reason)
        status = stats.get("crawlrun/status", status)  # what crawl_runs records wins
        run_id = getattr(spider, "crawl_run_id", None)
        logger.info("crawl finished%s: status=%s, %d pages (%d list), %s, %s%s",
                    f" (run {run_id})" if run_id is not None else "", status,
                    int(stats.get("downloader/response_count", 0)),
                    int(stats.get("portal/list_pages", 0)), stored_text(stats),
                    _duration(time.monotonic() - self.started),
                    f" -- {message}" if message and status != "ok" else "")
