"""The Scrapy component: reads the evidence fields of each item, writes the attribution."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.config.loading import with_defaults
from pipelines.attribution.aliases import DEFAULT_ALIASES_FILE, SourceAliases, aliases_for
from pipelines.attribution.decide import attribute

__all__ = ["AttributionPipeline"]


class AttributionPipeline:
    """Writes source/source_url/is_reprint/author/body on each item.

    The only component that decides them: extraction hands over evidence (``byline_text``,
    ``footer_text``, ``body``, ``meta``) and no guess of its own.  The alias table is read in
    ``from_crawler`` through a per-process cache, so a process that runs several crawlers (or
    a test suite) parses the YAML once.
    """

    def __init__(self, aliases: SourceAliases, stats: Any = None) -> None:
        self.aliases = aliases
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> AttributionPipeline:
        settings = with_defaults(crawler.settings)
        if not settings.getbool("ATTRIBUTION_ENABLED"):
            raise NotConfigured("attribution disabled by ATTRIBUTION_ENABLED=False")
        path = settings.get("ATTRIBUTION_ALIASES_FILE") or DEFAULT_ALIASES_FILE
        return cls(aliases_for(path), crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        result = attribute(
            adapter.get("byline_text"),
            adapter.get("footer_text"),
            adapter.get("body"),
            adapter.get("meta"),
            adapter.get("portal_name"),
            self.aliases,
        )
        adapter["source"] = result.source
        adapter["source_url"] = result.source_url
        adapter["is_reprint"] = result.is_reprint
        adapter["author"] = result.author
        adapter["body"] = result.body
        if self.stats is not None:
            kind = "reprint" if result.is_reprint else "original"
            self.stats.inc_value(f"attribution/{kind}")
            self.stats.inc_value(f"attribution/source_from/{result.source_from}")
        return item
