"""Dateline, breadcrumb and the credit-line evidence, read from the lines around the article.

Each reader looks where portals print that field (the byline under the headline, the footer
after the body, ``<meta>``).  Author and source are not decided here: the byline and footer
lines are handed on verbatim as evidence, and ``pipelines.attribution`` decides.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.extraction import boilerplate
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
_BREADCRUMB_SPLIT = re.compile(r"\s*(?:>|»|›|＞|→|/)\s*")
_BREADCRUMB_PREFIX = re.compile(r"^(?:当前位置|您的位置|你的位置|位置|您现在的位置)\s*[:：]?\s*")
_AFTER_SCAN = 3


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
