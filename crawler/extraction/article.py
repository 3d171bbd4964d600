"""One page in, article fields out: the function the spider calls.

Parses once, measures once, then each field is read from the same lines and numbers. Profile
selectors, when given, replace the heuristics for that one field only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from crawler.extraction import boilerplate, fields
from crawler.extraction.body import find_region, region_lines
from crawler.extraction.dom import measure, parse, text_of
from crawler.extraction.lines import build_lines
from crawler.extraction.meta import canonical_url, read_meta
from crawler.extraction.page import Page
from crawler.extraction.page_type import classify
from crawler.extraction.selectors import Selectors, select_text
from crawler.extraction.title import choose as choose_title

_DATELINE_RE = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}|来源|作者|发布时间|发布日期|发布者|记者|编辑|通讯员|稿源"
)

__all__ = ["Extracted", "Selectors", "extract_article"]


@dataclass
class Extracted:
    """Raw article fields; the pipelines normalise and interpret them.

    Attribution is evidence only: ``byline_text`` (the labelled lines under the headline),
    ``footer_text`` (the credit lines after the body), the body and ``meta``.  Who wrote the
    article and where it came from are decided in one place, ``pipelines.attribution``.
    """

    page_type: str
    title: str | None = None
    body: str | None = None
    published_at: datetime | None = None
    published_text: str | None = None
    byline_text: str | None = None
    footer_text: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    canonical_url: str | None = None
    breadcrumb: list[str] = field(default_factory=list)


def extract_article(
    html: str | bytes, url: str, *, selectors: Selectors | None = None, now: datetime | None = None
) -> Extracted:
    """Extract one page; never raises on bad markup (an unusable page is ``'empty'``).

    ``html`` is the decoded text, or the page's bytes when they are valid UTF-8 (see ``parse``).
    """
    now = now or datetime.now(UTC)
    selectors = selectors or Selectors()
    root = parse(html)
    if root is None:
        return Extracted("empty")
    page_title = _page_title(root)
    meta = read_meta(root)
    canonical = canonical_url(root, url)
    doc = measure(root)
    page = Page(doc, build_lines(doc), page_title, meta)
    region = find_region(doc)
    picked = region_lines(doc, region, page.lines) if region else []
    title_text, title_node = _title(page, selectors, picked)
    head, body_lines, footer = boilerplate.trim([page.lines[k].text for k in picked], title_text)
    pinned = _override_body(root, selectors)
    body_lines = pinned or body_lines
    body = "\n".join(body_lines) or None
    if picked:
        footer += fields.lines_after(page, picked[-1])
    window = fields.byline_lines(page, title_node, picked, title_text)
    head = window + [line for line in head if line not in window]
    page_type = (
        ("article" if title_text else "list")
        if pinned  # the portal profile says where the article is: trust it
        else classify(page, region, title_text, body, url, dated=_has_dateline(head))
    )
    # On an article the trail's last item repeats the headline; on a list it names the section.
    crumb_title = title_text if page_type == "article" else None
    result = Extracted(
        page_type=page_type,
        title=title_text,
        body=body,
        meta=meta,
        canonical_url=canonical,
        breadcrumb=fields.find_breadcrumb(page, picked, crumb_title),
        byline_text="\n".join(head) or None,
        footer_text="\n".join(footer) or None,
    )
    if result.page_type != "article":
        # Lists and empty pages are not stored; half-read fields would only mislead.
        result.body = result.byline_text = result.footer_text = None
        return result
    fields.fill_time(result, root, selectors, head, body_lines, footer, now)
    return result


def _has_dateline(head: list[str]) -> bool:
    """A dateline or byline under the headline (a date, 来源/作者/发布时间/记者)."""
    return any(_DATELINE_RE.search(line) for line in head)


def _page_title(root: etree._Element) -> str | None:
    element = root.find(".//title")
    if element is None:
        return None
    text = text_of(element)
    return text or None


def _title(page: Page, selectors: Selectors, picked: list[int]) -> tuple[str | None, int]:
    if selectors.title:
        chosen = select_text(page.doc.root, selectors.title)
        if chosen:
            return chosen, -1
    body_start = page.lines[picked[0]].node if picked else None
    top = [page.lines[k].text for k in picked[:2]]
    chosen_pair = choose_title(page.doc, page.page_title, body_start, top)
    if chosen_pair is None:
        return None, -1
    return chosen_pair


def _override_body(root: etree._Element, selectors: Selectors) -> list[str] | None:
    if not selectors.body:
        return None
    text = select_text(root, selectors.body, join="\n")
    return [line for line in (text or "").splitlines() if line.strip()] or None
