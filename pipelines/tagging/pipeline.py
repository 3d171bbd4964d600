"""The Scrapy side of tagging: ``TaggingPipeline`` sets ``item.tags`` and counts them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.config.loading import ConfigError, project_default, with_defaults
from crawler.items import Tag
from pipelines.tagging.keywords import DEFAULT_USERDICT_FILE
from pipelines.tagging.tagger import Tagger, get_tagger
from pipelines.tagging.taxonomy import DEFAULT_TAXONOMY_FILE

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class TaggingPipeline:
    """Sets ``item.tags``; everything expensive happens once, in ``open_spider``.

    Settings (defaults in ``crawler/settings.py``): ``TAGGING_ENABLED``,
    ``TAGGING_TAXONOMY_FILE``, ``TAGGING_USERDICT_FILE``, ``TAGGING_MAX_KEYWORDS``,
    ``TAGGING_KEYWORDS_ENABLED``, ``TAGGING_LEAD_CHARS`` (how much of the body is segmented
    for keywords; the cost grows linearly with it).
    """

    def __init__(
        self,
        taxonomy_file: str | Path = DEFAULT_TAXONOMY_FILE,
        userdict_file: str | Path | None = DEFAULT_USERDICT_FILE,
        max_keywords: int | None = None,
        keywords_enabled: bool = True,
        stats: StatsCollector | None = None,
        lead_chars: int | None = None,
    ) -> None:
        self.taxonomy_file = str(taxonomy_file)
        self.userdict_file = str(userdict_file) if userdict_file else None
        self.max_keywords = (
            project_default("TAGGING_MAX_KEYWORDS") if max_keywords is None else max_keywords
        )
        self.keywords_enabled = keywords_enabled
        self.stats = stats
        self.lead_chars = (
            project_default("TAGGING_LEAD_CHARS") if lead_chars is None else lead_chars
        )
        self.tagger: Tagger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TaggingPipeline:
        settings = with_defaults(crawler.settings)
        if not settings.getbool("TAGGING_ENABLED"):
            raise NotConfigured("tagging disabled by TAGGING_ENABLED=False")
        max_keywords = settings.getint("TAGGING_MAX_KEYWORDS")
        if max_keywords < 0:
            raise ConfigError(
                "<settings>",
                "TAGGING_MAX_KEYWORDS",
                f"must be >= 0, got {max_keywords}",
                "set it to 0 (no keyword tags) or a small positive number",
            )
        return cls(
            taxonomy_file=settings.get("TAGGING_TAXONOMY_FILE") or DEFAULT_TAXONOMY_FILE,
            userdict_file=settings.get("TAGGING_USERDICT_FILE") or DEFAULT_USERDICT_FILE,
            max_keywords=max_keywords,
            keywords_enabled=settings.getbool("TAGGING_KEYWORDS_ENABLED"),
            stats=crawler.stats,
            lead_chars=settings.getint("TAGGING_LEAD_CHARS"),
        )

    @property
    def _config(self) -> tuple[Any, ...]:
        return (
            self.taxonomy_file,
            self.userdict_file,
            self.max_keywords,
            self.keywords_enabled,
            self.lead_chars,
        )

    def open_spider(self) -> None:
        self.tagger = get_tagger(*self._config)

    def process_item(self, item: Any) -> Any:
        if self.tagger is None:  # used without a crawler (scripts, tests)
            self.open_spider()
        assert self.tagger is not None
        adapter = ItemAdapter(item)
        return self._apply(
            adapter, self.tagger.tag(adapter.get("title") or "", adapter.get("body") or "")
        )

    def _apply(self, adapter: ItemAdapter, tags: list[Tag]) -> Any:
        adapter["tags"] = tags
        if self.stats is not None:
            industries = sum(1 for t in tags if t.kind == "industry")
            if industries:
                self.stats.inc_value("tagging/industry_tags", industries)
            else:
                self.stats.inc_value("tagging/untagged")
        return adapter.item
