"""Which article URLs are already stored: lets a re-run skip downloading them.

Read-only and per list page (one ``IN`` query for the page's links), so it costs nothing at
start and stays cheap with millions of stored articles.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from crawler.storage.engine import make_engine
from crawler.storage.models import Article

logger = logging.getLogger(__name__)


class KnownArticles:
    def __init__(self, database_url: str) -> None:
        self._engine: Engine = make_engine(database_url, writer=False)

    def stored(self, urls: list[str]) -> set[str]:
        """The subset of ``urls`` that has a row; on a database error, none (crawl them all)."""
        if not urls:
            return set()
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(select(Article.url).where(Article.url.in_(urls)))
                return {row[0] for row in rows}
        except SQLAlchemyError as exc:
            logger.warning("cannot check stored URLs (%s); fetching every article of the page",
                           exc.__class__.__name__)
            return set()

    def close(self) -> None:
        self._engine.dispose()
