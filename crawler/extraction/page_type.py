"""Is this page an article worth storing, a list of links, or empty?

The spider stores only articles; everything else (section indexes, search results, BBS thread
lists, error pages) must be told apart without a per-portal rule.
"""

from __future__ import annotations

import re

from crawler.extraction.body import Region, headline_items
from crawler.extraction.page import Page

_MIN_BODY_CHARS = 60
_MAX_LIST_LINK_DENSITY = 0.45
_MIN_PARAGRAPH_IN_ARTICLE = 100
_MIN_LIST_ITEMS = 3
_TEASER_END = re.compile(r"(?:…|\.\.\.|。。。)\s*$")
_SEARCH_URL = re.compile(r"[?&](?:q|wd|kw|keyword|keywords|query|search|word)=|/search", re.I)
_SEARCH_TITLE = re.compile(r"搜索结果|检索结果|search results", re.I)


def classify(
    page: Page, region: Region | None, title: str | None, body: str | None, url: str
) -> str:
    """'article' only with a title and real prose; link-heavy regions of short lines are lists.

    A search page's snippets are prose-like, so the URL/title wording decides there; an index
    region full of headline links has no paragraph as long as an article's.
    """
    if not page.lines:
        return "empty"
    if _SEARCH_URL.search(url or "") or _SEARCH_TITLE.search(page.page_title or ""):
        return "list"
    if region is None or not title or not body or len("".join(body.split())) < _MIN_BODY_CHARS:
        return "list" if len(page.lines) > 5 else "empty"
    body_lines = body.splitlines()
    teasers = sum(1 for line in body_lines if _TEASER_END.search(line))
    if teasers >= 2 and teasers * 2 >= len(body_lines):
        return "list"  # truncated summaries (……) are what list pages show of each article
    items, prose = headline_items(page.doc, region, page.lines)
    if items >= _MIN_LIST_ITEMS and items * 2 >= prose:
        return "list"
    doc, nodes = page.doc, region.nodes
    link_heavy = sum(doc.link[n] for n in nodes) > _MAX_LIST_LINK_DENSITY * sum(
        doc.text[n] for n in nodes
    )
    if link_heavy and sum(doc.links[n] for n in nodes) >= 10:
        longest = max(len(line) for line in body_lines)
        if longest < _MIN_PARAGRAPH_IN_ARTICLE:
            return "list"
    return "article"
