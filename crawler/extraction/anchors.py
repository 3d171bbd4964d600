"""The anchors of a list page, read once for both link rules (article list and pager).

Parsing, resolving hrefs, reading a link's text and placing a URL in a run of list pages are
shared by :mod:`crawler.extraction.links` and :mod:`crawler.extraction.pager`; they live here so
that neither module imports the other.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from crawler.extraction.dom import inner_text

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:", "vbscript:")

# Query parameters that number the pages of a list (?page=2, &pn=2, ?start=40).
PAGE_PARAMS = frozenset(
    {
        "page",
        "p",
        "pn",
        "pg",
        "pageno",
        "pageindex",
        "pagenum",
        "page_no",
        "pagenumber",
        "start",
        "offset",
        "curpage",
        "currentpage",
        "cpage",
    }
)
# /news/page/2/, /news/p2, /list/pn/3
_PATH_PAGE_RE = re.compile(r"/(?:page|p|pn|pg)[/_-]?(\d{1,5})/?$", re.IGNORECASE)
# index_2.htm, index2.htm, list_12_2.html, news-3.shtml, more_4.aspx: a word (or a word and
# numbers) then the page number before the extension. 85.html (no word) is no page number.
_FILE_PAGE_RE = re.compile(
    r"(?P<stem>[^/]*?[A-Za-z_-])(?P<number>\d{1,5})(?P<ext>\.(?:s?html?|shtm|aspx?|php|jsp|do))$",
    re.IGNORECASE,
)


# The plain etree parser: lxml.html's element class lookup is a Python call per element, and
# these rules read only tags, attributes and text. Fed UTF-8 bytes, so that an XML encoding
# declaration left in the decoded text cannot make lxml refuse the string.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, encoding="utf-8")


def parse(html_text: str) -> etree._Element:
    """The page's tree; an empty ``<html>`` for what libxml2 cannot read (empty, binary)."""
    try:
        root = etree.fromstring((html_text or "<html></html>").encode("utf-8", "replace"), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    return root if root is not None else etree.fromstring(b"<html></html>", _PARSER)


class Hrefs:
    """Absolute URLs of the anchors, resolved only for the anchors a rule looks at.

    A list page holds hundreds of menu, sidebar and footer links (and images, scripts, style
    sheets) that no rule follows; resolving every one up front (lxml's
    ``make_links_absolute``) took most of the time spent on a list page. ``<base href>`` is
    honoured; an href that cannot be joined (a malformed IPv6 host) is no link.
    """

    def __init__(self, root: etree._Element, page_url: str) -> None:
        base = root.find(".//base[@href]")
        self.base = page_url
        if base is not None:
            with contextlib.suppress(ValueError):
                self.base = urljoin(page_url, base.get("href", "").strip())
        self._seen: dict[str, str | None] = {}

    def of(self, element: etree._Element) -> str | None:
        href = (element.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            return None
        if href not in self._seen:
            try:
                self._seen[href] = urljoin(self.base, href)
            except ValueError:
                self._seen[href] = None
        return self._seen[href]


def anchor_text(anchor: etree._Element) -> str:
    """The visible text of a link, else its title (image links), whitespace collapsed."""
    text = inner_text(anchor).strip() or (anchor.get("title") or "").strip()
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class PagePosition:
    """Where a URL sits in a run of list pages: the URL with its page number taken out
    (``key``; the first page's own URL, as a rule) and that number (0: no number, the first
    page). Only positions of one ``key`` compare."""

    key: str
    number: int


def page_position(url: str) -> PagePosition:
    """``index_3.htm`` -> (``index.htm``, 3); ``list.aspx?page=2`` -> (``list.aspx``, 2)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    path, number = parts.path or "/", 0
    for index, (name, value) in enumerate(query):
        if name.lower() in PAGE_PARAMS and value.strip().isdigit():
            number = int(value)
            query = query[:index] + query[index + 1 :]
            break
    else:
        match = _PATH_PAGE_RE.search(path) or _FILE_PAGE_RE.search(path)
        if match is not None and match.re is _PATH_PAGE_RE:
            path, number = path[: match.start()] + "/", int(match.group(1))
        elif match is not None:
            stem = match.group("stem").rstrip("_-")
            path = path[: match.start()] + stem + match.group("ext")
            number = int(match.group("number"))
    key = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
    return PagePosition(key, number)


def dedupe(links: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for url, text in links:
        if url not in seen:
            seen.add(url)
            out.append((url, text))
    return out
