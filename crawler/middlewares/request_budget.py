"""A per-crawl request budget: the last bound on traps nothing else caught.

Why: ``max_pages`` bounds a section's list pages, but a calendar or a generated pager on article
pages can still make requests without end. After ``PORTAL_REQUEST_BUDGET`` requests (0: no
budget) the crawl is closed with the reason ``request_budget``, which ``crawl_runs`` records
as a failed run with that reason, so operators see it rather than a silent cut.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

REASON = "request_budget"


class RequestBudgetMiddleware:
    """Downloader middleware counting requests (retries and redirects included)."""

    def __init__(self, crawler: Any, budget: int) -> None:
        self.crawler = crawler
        self.budget = budget
        self.requests = 0
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequestBudgetMiddleware:
        budget = crawler.settings.getint("PORTAL_REQUEST_BUDGET")
        if budget <= 0:
            raise NotConfigured("no request budget")
        return cls(crawler, budget)

    def process_request(self, request: Any, spider: Any = None) -> None:
        self.requests += 1
        if self.requests <= self.budget:
            return None
        self.crawler.stats.inc_value("portal/over_budget_requests")
        if not self.closing:
            self.closing = True
            logger.error("request budget of %d spent: closing the crawl (%s)", self.budget,
                         REASON)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=REASON))
        raise IgnoreRequest(f"request budget of {self.budget} spent")
