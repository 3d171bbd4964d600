"""The tagger: industry, company and keyword tags for one article, scored.

Pure and reusable, separate from the Scrapy pipeline so that scripts, benchmarks and tests
tag text without a crawler. Matching is :mod:`pipelines.tagging.matcher`, keywords are
:mod:`pipelines.tagging.keywords`; this module turns their hits into scored ``Tag`` values.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from pathlib import Path

from crawler.config.loading import project_default
from crawler.items import Tag
from pipelines.tagging.keywords import (
    DEFAULT_USERDICT_FILE,
    KEYWORD_STOPWORDS_FILE,
    KeywordExtractor,
    keyword_extractor,
    read_stop_words,
)
from pipelines.tagging.matcher import Matcher, Pattern
from pipelines.tagging.taxonomy import Taxonomy, fold, load_taxonomy


class Tagger:
    """Turns (title, body) into industry, company and keyword tags.

    Pure and reusable: build it once (building costs milliseconds for the automaton and about
    a second for jieba on first use in a process), then call ``tag`` per article.
    ``max_keywords`` and ``lead_chars`` default to ``TAGGING_MAX_KEYWORDS`` and
    ``TAGGING_LEAD_CHARS``.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        userdict: str | Path | None = DEFAULT_USERDICT_FILE,
        max_keywords: int | None = None,
        keywords_enabled: bool = True,
        lead_chars: int | None = None,
    ) -> None:
        if max_keywords is None:
            max_keywords = project_default("TAGGING_MAX_KEYWORDS")
        self.taxonomy = taxonomy
        self.scoring = taxonomy.scoring
        self.max_keywords = max_keywords
        self.lead_chars = (
            project_default("TAGGING_LEAD_CHARS") if lead_chars is None else lead_chars
        )
        self._matcher = Matcher(taxonomy)
        self._company_aliases = frozenset(
            fold(a).lower() for aliases in taxonomy.companies.values() for a in aliases
        )
        self._extractor: KeywordExtractor | None = None
        self._stop_words = taxonomy.stop_words
        if keywords_enabled and max_keywords > 0:
            self._extractor = keyword_extractor(str(userdict) if userdict else None)
            self._stop_words = (taxonomy.stop_words | self._extractor.builtin_stop_words
                                | read_stop_words(KEYWORD_STOPWORDS_FILE))

    def _matches(self, text: str) -> list[Pattern]:
        return self._matcher.matches(text)


    def _count(
        self,
        patterns: Iterable[Pattern],
        weight: float,
        cap: float,
        industry: dict[str, dict[str, float]],
        company: dict[str, float],
    ) -> None:
        for p in patterns:
            if p.company is not None:
                company[p.company] = company.get(p.company, 0.0) + weight
            for name, kw_weight in p.industries:
                per_kw = industry.setdefault(name, {})
                # keyed by the pattern object: one key per distinct keyword
                key = id(p)
                per_kw[key] = min(per_kw.get(key, 0.0) + weight * kw_weight, cap * kw_weight)

    def tag(self, title: str, body: str) -> list[Tag]:
        """Tags ordered industries, companies, keywords; each kind by descending score."""
        title = title or ""
        body = body or ""
        s = self.scoring
        industry: dict[str, dict[str, float]] = {}
        company: dict[str, float] = {}
        # Title hits are not capped by body_hit_cap: the cap stops long bodies that repeat
        # a word from drowning short ones, the title is short by nature.
        self._count(self._matches(title), s.title_weight, math.inf, industry, company)
        body_industry: dict[str, dict[str, float]] = {}
        self._count(self._matches(body), 1.0, s.body_hit_cap, body_industry, company)

        in_title = industry.keys() & body_industry.keys()  # industry holds title hits only
        for name, per_kw in body_industry.items():
            merged = industry.setdefault(name, {})
            for key, value in per_kw.items():
                merged[key] = merged.get(key, 0.0) + value

        tags: list[Tag] = []
        industry_tags = []
        for name, per_kw in industry.items():
            raw = sum(per_kw.values())
            # One distinct keyword is enough only when the title names the industry and the
            # body confirms it: a product-market story ("变频器市场...") rarely varies its
            # vocabulary, while a passing mention is never in the title.
            enough_keywords = len(per_kw) >= s.min_keywords or name in in_title
            if raw >= s.min_score and enough_keywords:
                # raw / (raw + min_score): 0.5 at the threshold, approaching 1 with evidence
                industry_tags.append(Tag(name, "industry", round(raw / (raw + s.min_score), 3)))
        industry_tags.sort(key=lambda t: (-t.score, t.name))
        tags.extend(industry_tags)

        company_tags = [
            Tag(name, "company", round(1.0 - math.exp(-raw / s.title_weight), 3))
            for name, raw in company.items()
        ]
        company_tags.sort(key=lambda t: (-t.score, t.name))
        tags.extend(company_tags)

        if self._extractor is not None:
            tags.extend(self._keyword_tags(title, body))
        return tags

    def _keyword_tags(self, title: str, body: str) -> list[Tag]:
        lead = body[: self.lead_chars]
        assert self._extractor is not None
        # Over-fetch so that dropping company names still leaves max_keywords candidates.
        pairs = self._extractor.extract(
            title, lead, self._stop_words, self.max_keywords * 2, self.scoring.title_weight
        )
        pairs = [(w, v) for w, v in pairs if fold(w).lower() not in self._company_aliases]
        pairs = pairs[: self.max_keywords]
        if not pairs:
            return []
        top = pairs[0][1]
        return [Tag(w, "keyword", round(v / top, 3)) for w, v in pairs]


@functools.lru_cache(maxsize=8)
def get_tagger(
    taxonomy_file: str,
    userdict_file: str | None,
    max_keywords: int | None = None,
    keywords_enabled: bool = True,
    lead_chars: int | None = None,
) -> Tagger:
    """The process-wide ``Tagger`` for these settings, so that several spiders or crawlers in
    one process do not each rebuild the automaton and reload jieba."""
    return Tagger(
        load_taxonomy(taxonomy_file),
        userdict=userdict_file,
        max_keywords=max_keywords,
        keywords_enabled=keywords_enabled,
        lead_chars=lead_chars,
    )


