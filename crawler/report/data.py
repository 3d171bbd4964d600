"""What the report shows, read from the database into plain Python (both backends alike)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased

from crawler.storage.models import Article, ArticleTag, CrawlRun, TagRow


@dataclass
class ReportData:
    per_day: dict[str, Counter[str]] = field(default_factory=dict)  # portal -> day -> articles
    sources: dict[str, Counter[str]] = field(default_factory=dict)  # portal -> reprint source
    # (copier portal, original portal) -> lags in hours between the first copy and the reprint
    copies: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    tags: dict[str, Counter[str]] = field(default_factory=dict)  # tag -> month -> articles
    runs: list[tuple[str, datetime, str, int, int]] = field(default_factory=list)

    def median_lag(self, edge: tuple[str, str]) -> float | None:
        lags = self.copies.get(edge) or []
        return statistics.median(lags) if lags else None


def _when(published: datetime | None, seen: datetime) -> datetime:
    return published or seen


def load(engine: Engine, top_tags: int = 8) -> ReportData:
    data = ReportData()
    a = Article.__table__
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    sources: dict[str, Counter[str]] = defaultdict(Counter)
    with engine.connect() as conn:
        for portal, published, seen, is_reprint, source in conn.execute(
                select(a.c.portal, a.c.published_at, a.c.first_seen_at, a.c.is_reprint,
                       a.c.source)):
            per_day[portal][_when(published, seen).strftime("%Y-%m-%d")] += 1
            if is_reprint and source:
                sources[portal][source] += 1
        original = aliased(Article)
        copies: dict[tuple[str, str], list[float]] = defaultdict(list)
        for row in conn.execute(
                select(Article.portal, Article.published_at, Article.first_seen_at,
                       original.portal, original.published_at, original.first_seen_at)
                .join(original, Article.duplicate_of == original.id)):
            lag = _when(row[1], row[2]) - _when(row[4], row[5])
            copies[(row[0], row[3])].append(lag.total_seconds() / 3600)
        tag_counts: dict[str, Counter[str]] = defaultdict(Counter)
        for name, published, seen in conn.execute(
                select(TagRow.name, Article.published_at, Article.first_seen_at)
                .join(ArticleTag, ArticleTag.tag_id == TagRow.id)
                .join(Article, Article.id == ArticleTag.article_id)
                .where(TagRow.kind == "industry")):
            tag_counts[name][_when(published, seen).strftime("%Y-%m")] += 1
        runs = conn.execute(select(CrawlRun.portal, CrawlRun.started_at, CrawlRun.status,
                                   CrawlRun.items_new, CrawlRun.errors)
                            .where(CrawlRun.status != "skipped")
                            .order_by(CrawlRun.started_at)).all()
    data.per_day, data.sources, data.copies = dict(per_day), dict(sources), dict(copies)
    busiest = sorted(tag_counts, key=lambda t: -sum(tag_counts[t].values()))[:top_tags]
    data.tags = {t: tag_counts[t] for t in busiest}
    for label, started, status, new, errors in runs:
        for key in label.split(","):  # a run of several portals counts for each
            data.runs.append((key, started, status, new or 0, errors or 0))
    return data
