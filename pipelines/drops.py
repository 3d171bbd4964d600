"""Why an item was not stored: one type per reason, one ``drop/<reason>`` stat each.

A pipeline that drops an item raises a :class:`Drop` subclass; :class:`DropStats` (an
extension listening to Scrapy's ``item_dropped`` signal) counts it under ``drop/<reason>``, so
the ``drop/*`` stats add up to Scrapy's own ``item_dropped_count``, whichever pipeline (ours or
not) raised. ``crawl_runs.drops`` keeps the counts per run (:func:`drop_counts`).

The storage writer decides two more outcomes after Scrapy has already counted the item as
scraped (it writes in batches, in a thread): a second copy of a story on the same portal, and a
batch lost when the database stayed down past the spool. They are not ``DropItem`` (the item
has left the pipeline by then) but are recorded in ``crawl_runs.drops`` beside the others,
from storage's own stats, so one column says why every item that was not stored was not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from scrapy import signals
from scrapy.exceptions import DropItem

__all__ = ["Drop", "DropStats", "NotAnArticle", "drop_counts", "reason_of"]

STAT_PREFIX = "drop/"

# Decided by the storage writer after the item left the pipelines: reason -> storage's stat.
STORAGE_DROPS = {
    "duplicate_on_portal": "storage/duplicate_dropped",
    "storage_lost": "storage/lost_items",
}


class Drop(DropItem):
    """Base of the project's drop reasons; ``reason`` is the stat and ``crawl_runs`` key."""

    reason: ClassVar[str] = "unspecified"


class NotAnArticle(Drop):
    """The page had no title or no body text: it is not stored as an article."""

    reason = "not_an_article"


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def reason_of(exc: BaseException) -> str:
    """``not_an_article`` for ours; a snake-cased class name for another library's drop."""
    if isinstance(exc, Drop):
        return exc.reason
    if type(exc) is DropItem:
        return "unspecified"
    return _CAMEL.sub("_", type(exc).__name__).lower()


class DropStats:
    """Counts every dropped item under ``drop/<reason>`` (extension, ``item_dropped``)."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> DropStats:
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        return ext

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        self.stats.inc_value(STAT_PREFIX + reason_of(exception))


def drop_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """Items not stored in a run, by reason, for ``crawl_runs.drops`` (zeros left out)."""
    counts = {
        key.removeprefix(STAT_PREFIX): int(value)
        for key, value in stats.items()
        if key.startswith(STAT_PREFIX) and value
    }
    for reason, key in STORAGE_DROPS.items():
        if stats.get(key):
            counts[reason] = counts.get(reason, 0) + int(stats[key])
    return dict(sorted(counts.items()))
