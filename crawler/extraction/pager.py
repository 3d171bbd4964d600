"""The next page of a section list: read from the pager, never a step back.

Chinese portals write their pagers in a dozen ways: ``下一页>>``, ``[下一页]``, ``下页 >``, an
image of an arrow, ``class="next"``, ``<link rel="next">``, or only numbers between 首页/上一页
and 尾页. Missing the next page loses every article behind it; following 上一页, 首页 or a lower
number re-reads pages (and on a site numbering its pages backwards, walks the section in a
loop). So: the candidates in order of how plainly they say "next", and every candidate checked
against what the pager and the URL say about the current page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from crawler.extraction.anchors import Hrefs, PagePosition, page_position
from crawler.urls import on_site, strip_tracking

# Brackets, arrows and dots that pagers put around their words: [下一页], 下一页>>, 下一页 ».
_DECOR = r"[\s\[\]【】()（）<>«»‹›→←≫≪〉〈·.…:：|/\\-]*"
_NEXT_WORDS = r"下一页|下一頁|下页|下頁|后一页|后页|後頁|next|next\s*page|nextpage"
_NEXT_TEXT_RE = re.compile(rf"^{_DECOR}(?:{_NEXT_WORDS}){_DECOR}$", re.IGNORECASE)
_NEXT_SYMBOL_RE = re.compile(r"^\s*(?:>|>>|›|»|≫|→)\s*$")
_BACK_TEXT_RE = re.compile(
    rf"^{_DECOR}(?:上一页|上一頁|上页|上頁|前一页|前页|首页|首頁|第一页|回首页|"
    rf"prev|previous|prev\s*page|first|first\s*page|<|<<|‹|«|≪|←){_DECOR}$",
    re.IGNORECASE,
)
_LAST_TEXT_RE = re.compile(
    rf"^{_DECOR}(?:尾页|尾頁|末页|末頁|最后一页|最后页|最末页|last|last\s*page){_DECOR}$",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(r"^[\s\[\]【】(（]*(\d{1,4})[\s\]】)）]*$")
_PAGE_OF_RE = re.compile(r"(?:当前|第)\s*[:：]?\s*(\d{1,4})\s*(?:页|/)")
_NEXT_IMAGE_RE = re.compile(
    r"(?:^|[/_-])(?:next|nextpage|next_page|page_?next|xiayiye|xyy)[^/]*\.(?:gif|png|jpe?g|svg)$",
    re.IGNORECASE,
)
_NEXT_CLASS_RE = re.compile(r"(?:^|[\s_-])next(?:[\s_-]|page|$)", re.IGNORECASE)
_CURRENT_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:current|curr|cur|active|on|sel|selected|thisclass|now)(?:[\s_-]|$)",
    re.IGNORECASE,
)
_ITEM_TAGS = frozenset({"li", "span", "em", "b", "strong", "font", "td", "i", "div"})


@dataclass
class _Pager:
    """What the page's links say about pagination."""

    explicit: list[str] = field(default_factory=list)  # 下一页, rel/class next, arrow images
    symbols: list[str] = field(default_factory=list)  # a bare > or »
    numbered: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    back: set[str] = field(default_factory=set)  # 上一页, 首页
    last: set[str] = field(default_factory=set)  # 尾页, 末页
    current_label: int | None = None  # the number the pager shows as this page


def next_pages(
    anchors: list[tuple[etree._Element, str]],
    hrefs: Hrefs,
    root: etree._Element,
    page_url: str,
    domains: tuple[str, ...],
    page_number: int = 1,
) -> list[str]:
    """The next list page (a one-item list), or none.

    ``page_number`` is how deep the spider is in the section; it is only the last resort for
    a pager of bare numbers with no mark on the current one, since a seed URL may be any page.
    """
    page_key = strip_tracking(page_url)
    here = page_position(page_key)
    pager = _read_pager(anchors, hrefs, root, domains, page_key)
    label = pager.current_label
    labelled = {url: n for n, urls in pager.numbered.items() for url in urls}

    def ok(url: str, confirmed: bool) -> bool:
        if url == page_key or url in pager.back or (url == here.key and here.number > 0):
            return False
        if _is_earlier(page_position(url), here):
            return False
        if label is not None and labelled.get(url, label + 1) <= label:
            return False
        step = _is_next_step(url, here, label, labelled)
        return not (url in pager.last and not (confirmed or step))

    for urls, confirmed in (
        (pager.explicit, True),
        (pager.numbered.get(label + 1, []) if label is not None else [], True),
        (_after_by_url(pager, here), False),
        (pager.symbols, False),
        (pager.numbered.get(page_number + 1, []) if label is None else [], False),
    ):
        for url in urls:
            if ok(url, confirmed):
                return [url]
    return []


def _is_earlier(position: PagePosition, here: PagePosition) -> bool:
    return position.key == here.key and position.number <= here.number


def _is_next_step(
    url: str, here: PagePosition, label: int | None, labelled: dict[str, int]
) -> bool:
    position = page_position(url)
    if position.key == here.key and position.number == here.number + 1:
        return True
    return label is not None and labelled.get(url) == label + 1


def _after_by_url(pager: _Pager, here: PagePosition) -> list[str]:
    """The numbered link nearest after this page in URL order (index_3 after index_2; also
    for sites whose second page is index_1): for pagers that mark no current page."""
    after = [
        (position.number, url)
        for urls in pager.numbered.values()
        for url in urls
        if (position := page_position(url)).key == here.key and position.number > here.number
    ]
    return [min(after)[1]] if after else []


def _read_pager(
    anchors: list[tuple[etree._Element, str]],
    hrefs: Hrefs,
    root: etree._Element,
    domains: tuple[str, ...],
    page_key: str,
) -> _Pager:
    pager = _Pager()
    for link in root.iter("link"):
        if "next" in (link.get("rel") or "").lower().split():
            _add(pager.explicit, hrefs.of(link), domains)
    boxes: dict[etree._Element, list[etree._Element]] = defaultdict(list)
    for anchor, text in anchors:
        kind = _kind(anchor, text)
        if kind is None:
            continue
        url = _resolve(hrefs, anchor, domains)
        if kind == "number":
            boxes[_box(anchor)].append(anchor)
        if url is None:
            continue
        if kind == "next":
            pager.explicit.append(url)
        elif kind == "symbol":
            pager.symbols.append(url)
        elif kind == "back":
            pager.back.add(url)
        elif kind == "last":
            pager.last.add(url)
    for box, numbered in boxes.items():
        current = _current_in_box(box, numbered)
        if len(numbered) < 2 and current is None:
            continue  # a lone number outside a pager (a footnote, a ranking) is no page link
        if current is not None and pager.current_label is None:
            pager.current_label = current
        for anchor in numbered:
            url = _resolve(hrefs, anchor, domains)
            match = _NUMBER_RE.match(_label(anchor))
            if url is not None and match is not None:
                pager.numbered[int(match.group(1))].append(url)
                if _marked_current(anchor) and url != page_key:
                    pager.back.add(url)  # marked current yet another URL: page 1's alias
    return pager


def _kind(anchor: etree._Element, text: str) -> str | None:
    """next / symbol / back / last / number for a pager link, None for any other link."""
    if "next" in (anchor.get("rel") or "").lower().split() or _NEXT_TEXT_RE.match(text):
        return "next"
    if not text and _is_next_image(anchor):
        return "next"
    classes = f"{anchor.get('class') or ''} {_parent_class(anchor)}"
    if _NEXT_CLASS_RE.search(classes) and not _BACK_TEXT_RE.match(text):
        return "next"
    if _BACK_TEXT_RE.match(text) or "prev" in (anchor.get("rel") or "").lower():
        return "back"
    if _LAST_TEXT_RE.match(text):
        return "last"
    if _NEXT_SYMBOL_RE.match(text):
        return "symbol"
    if _NUMBER_RE.match(text):
        return "number"
    return None


def _is_next_image(anchor: etree._Element) -> bool:
    for image in anchor.iter("img"):
        words = f"{image.get('alt') or ''} {image.get('title') or ''}".strip()
        if words and _NEXT_TEXT_RE.match(words):
            return True
        if _NEXT_IMAGE_RE.search((image.get("src") or "").split("?")[0]):
            return True
    return False


def _parent_class(anchor: etree._Element) -> str:
    parent = anchor.getparent()
    return (parent.get("class") or "") if parent is not None and parent.tag == "li" else ""


def _resolve(hrefs: Hrefs, anchor: etree._Element, domains: tuple[str, ...]) -> str | None:
    href = hrefs.of(anchor)
    if href is None:
        return None
    url = strip_tracking(href)
    return url if on_site(url, domains) else None


def _add(urls: list[str], href: str | None, domains: tuple[str, ...]) -> None:
    if href is not None and on_site(strip_tracking(href), domains):
        urls.append(strip_tracking(href))


def _box(anchor: etree._Element) -> etree._Element:
    """The pager element holding a numbered link: its parent, or the grandparent when each
    number sits in its own ``<li>``/``<span>``."""
    parent = anchor.getparent()
    if parent is None:
        return anchor
    if parent.tag in _ITEM_TAGS and len(parent.findall(".//a")) == 1:
        grandparent = parent.getparent()
        return grandparent if grandparent is not None else parent
    return parent


def _label(anchor: etree._Element) -> str:
    return "".join(anchor.itertext()).strip()


def _marked_current(element: etree._Element) -> bool:
    parent = element.getparent()
    classes = f"{element.get('class') or ''} {element.get('id') or ''}"
    if parent is not None and parent.tag == "li":
        classes += f" {parent.get('class') or ''}"
    return bool(_CURRENT_CLASS_RE.search(classes))


def _current_in_box(box: etree._Element, numbered: list[etree._Element]) -> int | None:
    """The number the pager shows as this page: marked current (class on/active/cur...), or
    the one number that is not a link, or 第N页/当前N/M页 wording."""
    for anchor in numbered:
        match = _NUMBER_RE.match(_label(anchor))
        if match is not None and _marked_current(anchor):
            return int(match.group(1))
    for text in _texts_outside_links(box):
        match = _NUMBER_RE.match(text)
        if match is not None:
            return int(match.group(1))
    wording = _PAGE_OF_RE.search(" ".join(_texts_outside_links(box)))
    return int(wording.group(1)) if wording is not None else None


def _texts_outside_links(box: etree._Element) -> Iterator[str]:
    """Text pieces of the pager that are not inside a link (a ``<span>3</span>``, a bare 3)."""
    inside: set[etree._Element] = set()
    for element in box.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        in_link = parent in inside or (element.tag == "a" and bool(element.get("href")))
        if in_link:
            inside.add(element)
        elif element.text and element.text.strip():
            yield element.text.strip()
        if element is not box and parent not in inside and element.tail and element.tail.strip():
            yield element.tail.strip()
