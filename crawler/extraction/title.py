"""Pick the headline as shown on the page.

``<title>`` usually carries the headline plus ``_栏目_网站名`` and the page's breadcrumb and
menus carry other short texts, so we prefer an on-page element whose text the ``<title>``
contains (longest wins: a section name is contained too, but is shorter), then a heading just
before the article, and only then the ``<title>`` without its site suffix.
"""

from __future__ import annotations

import re

from lxml import etree

from crawler.extraction.boilerplate import is_byline, is_junk, is_stop, squash
from crawler.extraction.dom import Document, text_of

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4"})
_EMPHASIS_TAGS = frozenset({"b", "strong", "font", "span", "td", "div", "p"})
_TITLE_ATTR = re.compile(r"title|headline|biaoti|\bbt\b|tit\b|subject|topic|heading", re.I)
_SITE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--| - | — |::| :: | － )\s*")
_EDGE_JUNK = re.compile(r"^[\s*•·◆■□●○>»\-]+|[\s\-_|｜>»]+$")
_MAX_TITLE = 120
_BOLD_TAGS = frozenset({"b", "strong", "font"})
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_LABEL = re.compile(r"^(?:主题|标题|题目|文章标题|帖子主题)\s*[:：]\s*")


def candidates(doc: Document) -> list[tuple[int, str]]:
    """Heading-like elements with short text, in document order."""
    found = []
    for i, size in enumerate(doc.text):
        if not 2 <= size <= _MAX_TITLE:
            continue
        element = doc.elements[i]
        tag = doc.tags[i]
        if (
            tag in _HEADING_TAGS
            or (tag in _BOLD_TAGS and size >= 4)
            or (tag in _EMPHASIS_TAGS and _TITLE_ATTR.search(_attrs(element)))
        ):
            text = text_of(element)
            if text:
                found.append((i, text))
    return found


def _attrs(element: etree._Element) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def strip_site(page_title: str) -> str:
    parts = [p for p in _SITE_SEPARATORS.split(page_title.strip()) if p.strip()]
    if not parts:
        return page_title.strip()
    return parts[0] if len(squash(parts[0])) >= 4 else max(parts, key=len)


def choose(
    doc: Document, page_title: str | None, body_start: int | None, body_top: list[str]
) -> tuple[str, int] | None:
    """(title, element index) or None.

    ``body_start`` is the element index of the first body line, ``body_top`` the texts of the
    first body lines (old pages put the headline inside the article cell).
    """
    found = _choose(doc, page_title, body_start, body_top)
    if found is None:
        return None
    text = _EDGE_JUNK.sub("", _LABEL.sub("", _PRIVATE_USE.sub("", found[0])))
    return (text, found[1]) if text else None


def _choose(
    doc: Document, page_title: str | None, body_start: int | None, body_top: list[str]
) -> tuple[str, int] | None:
    cands = candidates(doc)
    key = squash(page_title)
    contained = [
        (i, t)
        for i, t in cands
        if key and len(squash(t)) >= 2 and squash(t) in key and not _is_link(doc, i)
    ]
    if contained:
        runs = _runs(contained, key)
        longest = max(len(squash(t)) for _, t in runs)
        best = next(c for c in runs if len(squash(c[1])) == longest)
        if len(squash(best[1])) * 3 >= len(squash(strip_site(page_title or ""))):
            return best[1], best[0]
    top_keys = {squash(t) for t in body_top}
    plain = [
        (i, t)
        for i, t in cands
        if not _is_link(doc, i)
        and len(squash(t)) >= 2
        and not is_byline(t)
        and not is_junk(t)
        and not is_stop(t)
    ]
    at_top = [(i, t) for i, t in plain if squash(t) in top_keys]
    if at_top:
        return at_top[0][1], at_top[0][0]
    before = [(i, t) for i, t in plain if body_start is None or i < body_start]
    for tier in (_is_h1, lambda d, i: _heading(d, i), lambda d, i: True):
        ranked = [(i, t) for i, t in before if tier(doc, i)]
        if ranked:
            return ranked[-1][1], ranked[-1][0]
    if page_title and page_title.strip():
        return strip_site(page_title), -1
    return None


def _runs(contained: list[tuple[int, str]], key: str) -> list[tuple[int, str]]:
    """Join consecutive pieces of a headline broken over several lines (``<b>..</b><br><b>``).

    Nested duplicates (``<font><b>x</b></font>``) are skipped; a run lasts while the joined text
    is still part of ``<title>``.
    """
    runs: list[tuple[int, str]] = []
    for index, text in contained:
        if runs:
            start, joined = runs[-1]
            if joined.endswith(text):
                continue
            if squash(joined + text) in key:
                runs[-1] = (start, joined + text)
                continue
        runs.append((index, text))
    return runs + contained


def _is_h1(doc: Document, i: int) -> bool:
    return doc.tags[i] == "h1"


def _heading(doc: Document, i: int) -> bool:
    element = doc.elements[i]
    attr = f"{element.get('class', '')} {element.get('id', '')}"
    return element.tag in _HEADING_TAGS or bool(_TITLE_ATTR.search(attr))


def _is_link(doc: Document, i: int) -> bool:
    if doc.link[i] * 2 > doc.text[i]:
        return True
    parent = doc.elements[i].getparent()
    return parent is not None and parent.tag == "a"
