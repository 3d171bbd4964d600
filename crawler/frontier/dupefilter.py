"""scrapy-redis's dupefilter with Scrapy's request fingerprints and a per-crawl key.

scrapy-redis computes its own SHA1 over the canonical URL and keeps one set per spider name,
forever. Here the fingerprint is the crawler's (``REQUEST_FINGERPRINTER_IMPLEMENTATION``, as the
in-memory dupefilter uses) and the set belongs to one crawl: it is deleted with the crawl's other
keys when the crawl completes, so the next crawl reads the list pages again.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter


class FrontierDupeFilter(RFPDupeFilter):
    def __init__(self, server: Any, key: str, crawler: Any, debug: bool = False) -> None:
        super().__init__(server, key, debug=debug)
        self.fingerprinter = crawler.request_fingerprinter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Kept: the crawl's other workers still use it (FrontierScheduler deletes it)."""
