"""Scrapy's log messages without the per-page and per-item DEBUG lines nobody will see.

Scrapy formats its "Crawled (200)" and "Scraped from" messages and builds a log record for
every page and every item; only the log handler then drops them at LOG_LEVEL=INFO. That cost
about 2% of the crawl process's CPU in bench/crawl_throughput.py. At LOG_LEVEL=DEBUG (or
lower) they are logged as usual.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


def _level(value: Any) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG  # unknown: keep everything


class QuietLogFormatter(LogFormatter):
    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Any) -> QuietLogFormatter:
        settings = crawler.settings
        level = _level(settings.get("LOG_LEVEL", "DEBUG"))
        return cls(debug=settings.getbool("LOG_ENABLED", True) and level <= logging.DEBUG)

    # Scrapy skips a message whose formatter returns None.
    def crawled(  # type: ignore[override]
        self, request: Any, response: Any, spider: Any
    ) -> LogFormatterResult | None:
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(  # type: ignore[override]
        self, item: Any, response: Any, spider: Any
    ) -> LogFormatterResult | None:
        return super().scraped(item, response, spider) if self.debug else None
