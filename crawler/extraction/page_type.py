"""Is this page an article worth storing, a list of links, or empty?

The spider stores only articles; everything else (section indexes, search results, BBS thread
lists, error pages) must be told apart without a per-portal rule.
"""

from __future__ import annotations

import re

from crawler.extraction.body import Region, headline_items
from crawler.extraction.page import Page

_MIN_BODY_CHARS = 60
# A news page under its headline and dateline needs only one sentence of prose: a 快讯, a
# two-line notice. (A list page has no dateline under its heading, only dates beside items.)
_MIN_DATED_BODY_CHARS = 30
_SENTENCE_END = re.compile(r"[。！？!?；;]")
_MAX_LIST_LINK_DENSITY = 0.45
_MIN_PARAGRAPH_IN_ARTICLE = 100
_MIN_LIST_ITEMS = 3
_TEASER_END = re.compile(r"(?:…|\.\.\.|。。。)\s*$")
_SEARCH_URL = re.compile(r"[?&](?:q|wd|kw|keyword|keywords|query|search|word)=|/search", re.I)
_SEARCH_TITLE = re.compile(r"搜索结果|检索结果|search results", re.I)


def classify(
    page: Page,
    region: Region | None,
    title: str | None,
    body: str | None,
    url: str,
    *,
    dated: bool = False,
) -> str:
    """'article' only with a title and real prose; link-heavy regions of short lines are lists.

    A search page's snippets are prose-like, so the URL/title wording decides there; an index
    region full of headline links has no paragraph as long as an article's. ``dated``: a
    dateline or byline sits under the title; then one sentence of prose is an article however
    short, and a long 相关阅读 box after it does not make it a list (it refused real briefs,
    notices and regional news that way).
    """
    if not page.lines:
        return "empty"
    if _SEARCH_URL.search(url or "") or _SEARCH_TITLE.search(page.page_title or ""):
        return "list"
    short_news = dated and body is not None and _has_sentence(body)
    minimum = _MIN_DATED_BODY_CHARS if short_news else _MIN_BODY_CHARS
    if region is None or not title or not body or len("".join(body.split())) < minimum:
        return "list" if len(page.lines) > 5 else "empty"
    body_lines = body.splitlines()
    teasers = sum(1 for line in body_lines if _TEASER_END.search(line))
    if teasers >= 2 and teasers * 2 >= len(body_lines):
        return "list"  # truncated summaries (……) are what list pages show of each article
    items, prose = headline_items(page.doc, region, page.lines)
    if items >= _MIN_LIST_ITEMS and items * 2 >= prose:
        return "list"
    if short_news:
        return "article"
    doc, nodes = page.doc, region.nodes
    link_heavy = sum(doc.link[n] for n in nodes) > _MAX_LIST_LINK_DENSITY * sum(
        doc.text[n] for n in nodes
    )
    if link_heavy and sum(doc.links[n] for n in nodes) >= 10:
        longest = max(len(line) for line in body_lines)
        if longest < _MIN_PARAGRAPH_IN_ARTICLE:
            return "list"
    return "article"


def _has_sentence(body: str) -> bool:
    """A line of prose (~30 characters or more) with a sentence's punctuation in it."""
    return any(
        len(line) >= _MIN_DATED_BODY_CHARS and _SENTENCE_END.search(line)
        for line in body.splitlines()
    )
