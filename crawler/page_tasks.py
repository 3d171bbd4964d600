"""The portal spider's work on a downloaded article page, as one picklable call for its worker
processes.

Kept out of the spider's module on purpose: a worker imports the module of every function it
runs, and importing the spider's module pulls in Scrapy (~0.3 s and ~30 MB per worker, paid in
the middle of the crawl by the first task).
"""

from __future__ import annotations

from datetime import datetime

from crawler.extraction import Extracted, Selectors, extract_response
from crawler.urls import canonical_url


def extract_article_page(
    body: bytes, encoding_hint: str | None, url: str, selectors: Selectors | None, now: datetime
) -> tuple[Extracted, str, str]:
    """``extract_response`` and the article's key URL (``canonical_url``), so that the crawl
    process does not canonicalise every article URL again."""
    extracted, encoding = extract_response(body, encoding_hint, url, selectors, now)
    return extracted, encoding, canonical_url(url, extracted.canonical_url)
