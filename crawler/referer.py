"""The Referer header the crawl sends, by one rule for links and redirects alike.

Scrapy's default policy (no-referrer-when-downgrade) applied where the requests are made, not
by Scrapy's ``RefererMiddleware``: that spider middleware ran over every request and item a
callback yields, on the crawl process's one reactor thread.
"""

from __future__ import annotations

import functools

from scrapy.utils.url import strip_url


def referer_header(referer: str | None, url: str) -> dict[str, str] | None:
    """The Referer a browser would send for ``url`` reached from ``referer``; None from an
    https page to an http one, so a secure page's address never leaks over plain HTTP."""
    if not referer or (referer.startswith("https:") and not url.startswith("https:")):
        return None
    return {"Referer": _stripped(referer)}


@functools.lru_cache(maxsize=64)
def _stripped(referer: str) -> str:
    """The page URL without credentials or fragment: once per list page, not per link."""
    return strip_url(referer, strip_credentials=True, strip_fragment=True)
