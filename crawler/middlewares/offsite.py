"""Keep every request on the portals' sites, the ones Scrapy lets through included.

Scrapy's OffsiteMiddleware passes any request with ``dont_filter`` set, and its redirect and
meta-refresh middlewares copy that flag onto the request they make. The spider sets it on
article requests (it dedupes them itself, so that a redirect loop is reported rather than
swallowed by the dupefilter), so a 302 or a ``<meta refresh>`` from an article to another site
was followed. This middleware checks every request's host against the spider's
``allowed_domains`` (subdomains included, as Scrapy does) whatever its flags, in the downloader
chain, so the request's errback reports the page (one line, counted in the run) instead of it
vanishing at scheduling. A request with ``allow_offsite`` in its meta is let through, as in
Scrapy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

OFFSITE_PREFIX = "offsite:"  # how crawler.spiders.fetch_errors recognises the refusal


class OffsiteGuardMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> OffsiteGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Any, spider: Any = None) -> None:
        # Newer Scrapy no longer passes the spider to downloader middlewares.
        spider = spider or getattr(self.crawler, "spider", None)
        domains = getattr(spider, "allowed_domains", None)
        if not domains or request.meta.get("allow_offsite"):
            return None
        if on_domains(request.url, domains):
            return None
        self.stats.inc_value("portal/offsite_refused")
        origin = (request.meta.get("redirect_urls") or [None])[0]
        came = f" (redirected from {origin})" if origin else ""
        raise IgnoreRequest(f"{OFFSITE_PREFIX} {request.url} is not on the portal's site{came}; "
                            "not fetched")


def on_domains(url: str, domains: list[str]) -> bool:
    """The URL's host is one of ``domains`` or a subdomain of one (ports aside: the spider's
    ``allowed_domains`` are host names)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))
