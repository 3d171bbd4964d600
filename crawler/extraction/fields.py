"""Dateline, author, source and breadcrumb, read from the lines around the article.

Each reader looks where portals print that field (the byline under the headline, the footer
after the body, the wire-style lead, ``<meta>``), in a fixed order of trust.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.extraction import boilerplate, byline
from crawler.extraction.dates import find_dates
from crawler.extraction.lines import Line
from crawler.extraction.page import Page
from crawler.extraction.selectors import Selectors, select_text

if TYPE_CHECKING:
    from datetime import datetime

    from crawler.extraction.article import Extracted

_META_TIME_KEYS = (
    "article:published_time",
    "og:published_time",
    "publishdate",
    "pubdate",
    "publish_date",
    "ptime",
    "publishtime",
    "og:release_date",
    "datepublished",
    "date",
    "dc.date",
)
_META_SOURCE_KEYS = ("source", "contentsource", "article:source", "og:article:source")
_META_AUTHOR_KEYS = ("author", "article:author", "og:article:author")
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:>|»|›|＞|→|/)\s*")
_BREADCRUMB_PREFIX = re.compile(r"^(?:当前位置|您的位置|你的位置|位置|您现在的位置)\s*[:：]?\s*")
_SHORT_LINE = 40
_AFTER_SCAN = 3
_DIGIT = re.compile(r"\d")
_SENTENCE = re.compile(r"[，。！？；?!]")
_OUTLETISH = re.compile(r"网|报|社|公司|\.com|www|集团|中心|频道")


def byline_lines(page: Page, title_node: int, picked: list[int], title: str | None) -> list[str]:
    """Short labelled lines between the headline and the first body line."""
    if not picked:
        return []
    title_key = boilerplate.squash(title)
    first_body = picked[0]
    start = next((k for k, line in enumerate(page.lines) if line.node >= title_node), None)
    if title_node < 0 or start is None or start > first_body:
        start = max(0, first_body - 4)
    found = []
    for line in page.lines[start : min(start + 10, first_body + 3)]:
        if line.node > page.lines[first_body].node and found:
            break
        if boilerplate.squash(line.text) == title_key or _navigation(line):
            continue
        if boilerplate.is_byline(line.text):
            found.append(line.text)
    return found


def lines_after(page: Page, last: int) -> list[str]:
    """Attribution printed just outside the article block (``编辑： 吕峥 来源： 千龙网``)."""
    found = []
    for line in page.lines[last + 1 : last + 1 + _AFTER_SCAN]:
        if not boilerplate.is_footer(line.text) or _navigation(line):
            break
        found.append(line.text)
    return found


def _navigation(line: Line) -> bool:
    """A menu line (mostly links), unlike a byline whose source name alone may be a link."""
    return line.link_ratio > 0.75 or (line.link_ratio > 0.4 and len(line.text) > 40)


def fill_time(
    result: Extracted,
    root: etree._Element,
    selectors: Selectors,
    head: list[str],
    body: list[str],
    footer: list[str],
    now: datetime,
) -> None:
    sources: list[str] = []
    if selectors.dateline:
        sources.append(select_text(root, selectors.dateline) or "")
    sources += head
    sources += [result.meta[k] for k in _META_TIME_KEYS if k in result.meta]
    sources += [line for line in body[:3] if len(line) <= 60]
    sources += footer + [line for line in body[-3:] if len(line) <= 60]
    for text in sources:
        matches = find_dates(text, now)
        if matches:
            result.published_at = matches[0].when
            result.published_text = text.strip()
            return


def find_author(
    head: list[str], body: list[str], footer: list[str], meta: dict[str, str]
) -> str | None:
    """Labelled writers near the headline first, then short byline-like lines of the body."""
    author = byline.find_author(head)
    if author:
        return author
    bracketed = [body[0][:40]] if body and body[0][:1] in "(（【[" else []
    short = [line for line in body if len(line) <= _SHORT_LINE and not _SENTENCE.search(line)]
    tail = [body[-1][-30:]] if body else []
    author = byline.find_author(bracketed + short + footer + tail)
    if author:
        return author
    for line in body[:2]:
        name = byline.standalone_name(line)
        if name:
            return name
    if body:
        names = byline.trailing_names(body[-1])
        if names:
            return names
    value = next((meta[k] for k in _META_AUTHOR_KEYS if meta.get(k)), "").strip()
    if value and len(value) <= 12 and not _OUTLETISH.search(value) and not _DIGIT.search(value):
        return value
    return None


def find_source(
    head: list[str], body: list[str], footer: list[str], meta: dict[str, str]
) -> str | None:
    """Labelled source near the headline, an outlet printed after the time, then the footer.

    Generic labels (来源：转载文章) lose to any specific name found elsewhere on the page.
    """
    labelled_head = byline.labelled_sources(head)
    labelled_foot = byline.labelled_sources(footer)
    specific = [s for s in labelled_head if not byline.is_generic(s)]
    if specific:
        return specific[0]
    for text in head:
        for match in find_dates(text):
            outlet = byline.bare_outlet(byline.nfkc(text)[match.start + len(match.text) :])
            if outlet:
                return outlet
    specific = [s for s in labelled_foot if not byline.is_generic(s)]
    if specific:
        return specific[0]
    outlet = byline.book_outlet(footer)
    if outlet:
        return outlet
    for key in _META_SOURCE_KEYS:
        source = byline.clean_source(re.sub(r"^.*?来源\s*[:：]", "", meta.get(key, "")))
        if source:
            return source
    generic = labelled_head + labelled_foot
    if generic:
        return generic[0]
    return next(filter(None, map(byline.lead_outlet, body[:3])), None)


def find_breadcrumb(page: Page, picked: list[int], title: str | None) -> list[str]:
    """The trail above the article, without its last item when that is the headline itself."""
    limit = picked[0] if picked else len(page.lines)
    for line in page.lines[:limit]:
        if line.link_chars and len(line.text) <= 80 and boilerplate.is_breadcrumb(line.text):
            text = _BREADCRUMB_PREFIX.sub("", line.text)
            crumbs = [p for p in _BREADCRUMB_SPLIT.split(text) if p.strip()]
            if crumbs and boilerplate.squash(crumbs[-1]) in (boilerplate.squash(title), "正文"):
                crumbs.pop()
            return crumbs
    return []
