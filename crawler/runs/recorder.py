"""Records every crawl in ``crawl_runs``: one row per ``scrapy crawl portal`` process.

An extension rather than a pipeline because a run exists even when it stores nothing (a host
that is down must still show up as a ``failed`` run for monitoring).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from crawler.config.loading import with_defaults
from crawler.runs.liveness import identity
from crawler.storage.engine import make_engine, upgrade_database
from crawler.storage.tables import crawl_runs, utcnow
from crawler.storage.writer import first_line
from pipelines.drops import drop_counts

logger = logging.getLogger(__name__)


def run_status(stats: dict[str, Any], reason: str) -> tuple[str, str | None]:
    """``ok`` only when the run finished and read at least one section list page.

    A run where no list page could be fetched (host down, DNS, every list page 5xx) did not
    crawl anything and must not look healthy to the scheduler's monitoring.
    """
    if reason in ("shutdown", "killed", "cancelled"):
        return "killed", f"stopped before the end ({reason})"
    if reason != "finished":
        return "failed", f"spider closed: {reason}"
    if not stats.get("portal/list_pages") and not (
        stats.get("frontier/worker") and not stats.get("portal/list_errors")
    ):  # a worker of a shared crawl may find every list page read by the others
        errors = ", ".join(
            f"{k.removeprefix('portal/errors/')}={v}"
            for k, v in sorted(stats.items())
            if k.startswith("portal/errors/")
        )
        return "failed", "no section list page could be fetched" + (
            f" ({errors})" if errors else ""
        )
    if stats.get("storage/lost_items"):
        return "failed", "storage failed: some articles could not be written"
    if stats.get("storage/spool_pending"):  # the database was away at the end
        pending = stats["storage/spool_pending"]
        return "failed", f"storage failed: spooled {pending} articles for the next run"
    if stats.get("storage/failed_batches"):
        return "failed", "storage failed: some articles could not be written"
    return "ok", None


def run_errors(stats: dict[str, Any]) -> int:
    """Everything that went wrong in a run, for ``crawl_runs.errors``.

    Page faults the spider counted (404, timeouts, not an article ...), storage failures, and
    exceptions raised while handling a page (a bug, or an extraction worker that died): Scrapy
    logs those and carries on, so without this count a run that lost pages would look clean.
    """
    return sum(
        int(stats.get(key, 0))
        for key in ("portal/errors", "storage/errors", "spider_exceptions/count")
    )


class CrawlRunRecorder:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.database_url: str = crawler.settings.get("DATABASE_URL")
        self.trigger: str = with_defaults(crawler.settings).get("CRAWLRUN_TRIGGER")
        # The scheduler creates the row itself (so that it can record a run whose child never
        # started or was killed) and hands its id over with -s CRAWLRUN_ID=<id>.
        self.run_id: int | None = crawler.settings.getint("CRAWLRUN_ID", 0) or None
        self.engine = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        if not crawler.settings.getbool("CRAWLRUN_ENABLED", True):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        label = getattr(spider, "run_label", spider.name)
        # One row per process; the rows of the processes of one crawl share its crawl_id
        # (kept in Redis by crawler.frontier), a one-process crawl gets an id of its own.
        worker = {
            "crawl_id": getattr(spider, "crawl_id", None) or uuid.uuid4().hex,
            **identity(),  # host and pid: a later start marks the row if this process dies
        }
        try:
            self.engine = make_engine(self.database_url)
            upgrade_database(self.engine)
            with self.engine.begin() as conn:
                if self.run_id is not None:
                    conn.execute(
                        update(crawl_runs)
                        .where(crawl_runs.c.id == self.run_id)
                        .values(status="running", **worker)
                    )
                else:
                    self.run_id = conn.execute(
                        crawl_runs.insert()
                        .values(
                            portal=label,
                            trigger=self.trigger,
                            started_at=utcnow(),
                            status="running",
                            **worker,
                        )
                        .returning(crawl_runs.c.id)
                    ).scalar_one()
        except SQLAlchemyError as exc:
            logger.error("cannot record the crawl run in the database: %s", first_line(exc))
            self.crawler.stats.inc_value("crawlrun/record_errors")
            return
        spider.crawl_run_id = self.run_id
        # DEBUG: crawler.extensions.progress logs the start and summary lines with the run id.
        logger.debug("crawl run %d started: portal=%s trigger=%s", self.run_id, label, self.trigger)

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        status, message = run_status(stats, reason)
        if self.run_id is None:  # nothing recorded: not a run monitoring can see, so not ok
            status, message = "failed", "the run could not be recorded in crawl_runs"
        self.crawler.stats.set_value("crawlrun/status", status)  # the crawl's exit code
        values = {
            "finished_at": utcnow(),
            "status": status,
            "pages": int(stats.get("downloader/response_count", 0)),
            "items_new": int(stats.get("crawl/items_new", 0)),
            "items_duplicate": int(stats.get("crawl/items_duplicate", 0)),
            "errors": run_errors(stats),
            "drops": drop_counts(stats),
            "message": message,
        }
        logger.debug(
            "crawl run %s finished: status=%s pages=%d new=%d duplicate=%d errors=%d drops=%s%s",
            self.run_id,
            status,
            values["pages"],
            values["items_new"],
            values["items_duplicate"],
            values["errors"],
            values["drops"] or "none",
            f" ({message})" if message else "",
        )
        if self.run_id is None or self.engine is None:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(crawl_runs).where(crawl_runs.c.id == self.run_id).values(**values))
        except SQLAlchemyError as exc:
            # The run cannot say how it ended: not a success, whatever it did (exit code 1).
            # Its row stays 'running' until the next start on this host marks it failed
            # ("process gone", crawler.runs.liveness).
            self.crawler.stats.inc_value("crawlrun/record_errors")
            logger.error("cannot record the end of crawl run %s (status %s) in crawl_runs: %s; "
                         "exiting 1", self.run_id, status, first_line(exc))
        finally:
            self.engine.dispose()
