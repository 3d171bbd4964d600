"""Extraction health per portal and run, in ``run_coverage``: did the fields still come out?

A portal that redesigns its pages rarely breaks a crawl outright: the run stays ``ok`` while
titles, dates or bodies quietly stop being extracted. At spider close (after the pipelines
have flushed) this extension reads the run's stored rows back by ``crawl_run_id`` and records,
per portal, the share of articles with a title, a publication time, an author, a source and a
body of at least ``COVERAGE_MIN_BODY_CHARS`` characters, and the list-page yield (article
links per list page, from the spider's per-portal counts, so that every portal of a
multi-portal run gets its own: a plain ``scrapy crawl portal`` crawls them all at once).
``portal status`` and ``scheduler.py --status`` compare the last row with the portal's own
recent runs (``crawler.schedule.coverage_check``). No pipeline changes: storage is the truth.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from crawler.config.loading import with_defaults
from crawler.storage.engine import make_engine
from crawler.storage.tables import articles, run_coverage, utcnow

logger = logging.getLogger(__name__)
FIELDS = ("title", "published_at", "author", "source", "body")


def measure(engine: Engine, run_id: int, min_body: int) -> list[dict[str, Any]]:
    """One row of shares per portal for the articles stored by ``run_id``."""
    a = articles

    def share(condition: Any) -> Any:
        return func.avg(case((condition, 1.0), else_=0.0))

    query = (select(a.c.portal, func.count().label("articles"),
                    share(func.length(func.coalesce(a.c.title, "")) > 0).label("title"),
                    share(a.c.published_at.is_not(None)).label("published_at"),
                    share(func.length(func.coalesce(a.c.author, "")) > 0).label("author"),
                    share(func.length(func.coalesce(a.c.source, "")) > 0).label("source"),
                    share(func.length(func.coalesce(a.c.body, "")) >= min_body).label("body"))
             .where(a.c.crawl_run_id == run_id).group_by(a.c.portal))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def list_yield(stats: dict[str, Any], portal: str,
               crawled: list[str]) -> tuple[int | None, int | None]:
    """List pages read and article links found for ``portal`` in this run; (None, None) for a
    portal the run did not walk (an article stored under another portal's key)."""
    if portal not in crawled:
        return None, None
    pages = stats.get(f"portal/list_pages/{portal}")
    if pages is None and len(crawled) == 1:  # counted by a spider without per-portal counts
        pages = stats.get("portal/list_pages", 0)
        return int(pages), int(stats.get("portal/article_links", 0))
    return int(pages or 0), int(stats.get(f"portal/article_links/{portal}", 0))


class CoverageRecorder:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.database_url: str = crawler.settings.get("DATABASE_URL")
        self.min_body = with_defaults(crawler.settings).getint("COVERAGE_MIN_BODY_CHARS")

    @classmethod
    def from_crawler(cls, crawler: Any) -> CoverageRecorder:
        if not with_defaults(crawler.settings).getbool("COVERAGE_ENABLED"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        run_id = getattr(spider, "crawl_run_id", None)
        if run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        if stats.get("storage/spool_pending"):
            # The database was away at the end: the run's articles wait in the spool, so
            # shares measured now would be wrong (and the wait for the database is spared).
            logger.info("extraction coverage of run %s not recorded: its articles wait in "
                        "the spool", run_id)
            return
        crawled = [k for k in str(getattr(spider, "run_label", "")).split(",") if k]
        engine = make_engine(self.database_url)
        try:
            rows = measure(engine, run_id, self.min_body)
            stored = {r["portal"] for r in rows}
            # A portal that stored nothing still has a yield (0 links per page is the alarm).
            rows += [{"portal": key, "articles": 0} for key in crawled if key not in stored]
            values = []
            for row in rows:
                list_pages, links = list_yield(stats, row["portal"], crawled)
                values.append({
                    **{f: row.get(f) for f in FIELDS}, "run_id": run_id,
                    "portal": row["portal"], "articles": row["articles"],
                    "list_pages": list_pages, "article_links": links,
                    "yield_per_page": (links / list_pages) if list_pages and links is not None
                    else None,
                    "recorded_at": utcnow()})
            if values:
                with engine.begin() as conn:
                    conn.execute(run_coverage.insert(), values)
        except SQLAlchemyError as exc:
            logger.error("cannot record the extraction coverage of run %s: %s", run_id, exc)
        finally:
            engine.dispose()
