"""The article item that travels from the spider through every pipeline to storage.

A dataclass rather than a ``scrapy.Item`` so that each pipeline sees typed fields; pipelines
still go through ``itemadapter`` where they only read/write by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Tag:
    """One tag on an article: ``kind`` is ``industry``, ``company`` or ``keyword``."""

    name: str
    kind: str
    score: float = 1.0


@dataclass
class ArticleItem:
    """Raw fields from extraction plus what the pipelines add.

    The spider fills the first block; ``normalize`` cleans it; ``attribution`` (source and
    author), ``dedup`` and ``tagging`` fill the second block; ``storage`` writes it.
    """

    # -- filled by the spider from extraction --------------------------------------------
    url: str  # canonical URL: the key of the articles table
    fetched_url: str  # the URL as requested (before canonicalisation)
    portal: str  # portal key (``gongkong``), or the host for zero-config crawls
    portal_name: str  # display name (中国工控网), used for original-source attribution
    section: str | None
    title: str
    body: str  # plain text, one paragraph per line
    published_at: datetime | None = None  # aware, UTC
    published_text: str | None = None  # the raw dateline text the time was read from
    byline_text: str | None = None  # raw dateline/byline block (may hold 来源/作者/编辑)
    footer_text: str | None = None  # raw trailing lines of the body block (来源/责任编辑/...)
    meta: dict[str, str] = field(default_factory=dict)  # <meta> source, og:site_name, ...
    breadcrumb: list[str] = field(default_factory=list)
    encoding: str | None = None
    fetched_at: datetime | None = None  # aware, UTC; "now" for relative datelines

    # -- filled by the interpreting pipelines ----------------------------------------------
    source: str | None = None
    author: str | None = None  # decided by attribution from byline_text/footer_text/meta
    source_url: str | None = None
    is_reprint: bool = False
    content_hash: str | None = None
    simhash: int | None = None  # signed 64-bit (fits BIGINT)
    # pipelines.dedup.Analysis: the keys and shingles storage's dedup index looks up with;
    # typed loosely so that items do not depend on a pipeline. Not stored.
    fingerprint: object | None = field(default=None, repr=False)
    duplicate_of: int | None = None
    tags: list[Tag] = field(default_factory=list)
