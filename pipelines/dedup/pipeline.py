"""The dedup pipeline: fingerprints each item; the index in storage decides with them.

Hashing is CPU work that needs no database, so it happens here, once per item, and travels to
storage on the item (``content_hash``, ``simhash`` and the whole ``fingerprint``). Which
stored article a story copies can only be decided inside storage's write transaction (two
crawls storing the same story at once must still give one first copy), so that decision is
``DedupIndex.first_copy``, which the storage pipeline owns.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured

from crawler.config.loading import with_defaults
from crawler.items import ArticleItem
from pipelines.dedup.fingerprint import analyse


class DedupPipeline:
    """Puts ``content_hash``, ``simhash`` and the index's ``fingerprint`` on each item."""

    def __init__(self, min_chars: int, stats: Any = None) -> None:
        self.min_chars = min_chars
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupPipeline:
        settings = with_defaults(crawler.settings)
        if not settings.getbool("DEDUP_ENABLED"):
            raise NotConfigured("dedup disabled by DEDUP_ENABLED=False")
        return cls(settings.getint("DEDUP_MIN_CHARS"), crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        analysis = analyse(item.body or "", self.min_chars)
        item.fingerprint = analysis
        item.content_hash, item.simhash = analysis.content_hash, analysis.simhash
        if self.stats is not None and not analysis.keys:
            self.stats.inc_value("dedup/too_short_to_index")
        return item
