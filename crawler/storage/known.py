"""Which article URLs are already stored: lets a re-run skip downloading them.

Read-only and per list page (one ``IN`` query for the page's links), so it costs nothing at
start and stays cheap with millions of stored articles.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from crawler.storage.engine import make_engine
from crawler.storage.outage import OutageLog
from crawler.storage.tables import articles

logger = logging.getLogger(__name__)


class KnownArticles:
    def __init__(self, database_url: str) -> None:
        self._engine: Engine = make_engine(database_url, writer=False)
        self.outage = OutageLog(logger, "stored-URL lookups: the database")

    def stored(self, urls: list[str]) -> set[str]:
        """The subset of ``urls`` that has a row; on a database error, none (crawl them all,
        and look again only after ``outage.RETRY_INTERVAL``: storage keeps one row per URL)."""
        if not urls or not self.outage.should_try():
            return set()
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(articles.c.url).where(articles.c.url.in_(urls)))
                stored = {row[0] for row in rows}
        except SQLAlchemyError as exc:
            self.outage.failed(f"cannot check stored URLs: {exc.__class__.__name__}",
                               "fetching every article of the list pages meanwhile")
            return set()
        self.outage.worked()
        return stored

    def close(self) -> None:
        self._engine.dispose()
