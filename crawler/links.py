"""Link classification on a section list page: article links, next list page, everything else.

Pure functions over a parsed page, so that the spider only decides what to follow and these
rules can be tested on their own. The generic rules: an article link is an on-site link whose
text reads like a headline and whose URL looks like a document; among such links, the main
list is the largest group sharing one container shape, which leaves out navigation menus,
"热点排行"/"相关新闻" sidebars and footer links even when they point at articles too.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from parsel import Selector

from crawler.extraction.dom import inner_text
from crawler.extraction.encoding import decode_html
from crawler.urls import on_site, strip_tracking

_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")
_BOILERPLATE_RE = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|header|topbar|footer|foot|bottom|copyright|"
    r"side|sidebar|aside|hot|rank|ranking|related|relate|recommend|tuijian|xiangguan|"
    r"paihang|remen|ad|ads|advert|banner|login|breadcrumb|crumb|position|location|"
    r"share|friendlink|links)([\s_-]|\d|$)",
    re.IGNORECASE,
)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "script", "style"})
_DOC_EXT_RE = re.compile(r"\.(s?html?|aspx?|php|jsp|do|shtm)$", re.IGNORECASE)
_FILE_EXT_RE = re.compile(
    r"\.(jpe?g|png|gif|bmp|webp|svg|pdf|docx?|xlsx?|pptx?|zip|rar|7z|exe|apk|mp4|mp3|css|js)$",
    re.IGNORECASE,
)
_LIST_PATH_RE = re.compile(
    r"(^|/)(index|list|default|more|search|tag|tags|category|column|channel)"
    r"([_-]\d+)*\.(s?html?|aspx?|php|jsp)$|/(page|p)/\d+/?$",
    re.IGNORECASE,
)
_NON_ARTICLE_PATH_RE = re.compile(
    r"login|logon|register|signup|reg\.|passport|member|user|cart|search|sitemap|about|"
    r"contact|help|advert|guestbook|feedback|rss|download",
    re.IGNORECASE,
)
_PAGE_PARAMS = frozenset(
    {
        "page",
        "p",
        "pn",
        "pg",
        "pageno",
        "pageindex",
        "pagenum",
        "start",
        "offset",
        "curpage",
        "currentpage",
    }
)
_ID_PARAM_RE = re.compile(
    r"^(id|aid|nid|newsid|articleid|article_id|docid|contentid|itemid|"
    r"detailsid|tid|cid|infoid|news_id|sid)$",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"\d{3,}")
_NEXT_TEXT_RE = re.compile(
    r"^\s*(下一页|下页|后页|下一頁|下頁|next|next\s*page|[>›»]|>>)\s*$", re.IGNORECASE
)
_HEADLINE_MIN_CHARS = 5


@dataclass
class ListPageLinks:
    articles: list[tuple[str, str]] = field(default_factory=list)  # (url, anchor text)
    next_pages: list[str] = field(default_factory=list)


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


class _Hrefs:
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

    def of(self, anchor: etree._Element) -> str | None:
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            return None
        if href not in self._seen:
            try:
                self._seen[href] = urljoin(self.base, href)
            except ValueError:
                self._seen[href] = None
        return self._seen[href]


def list_page_links(
    body: bytes,
    encoding_hint: str | None,
    page_url: str,
    domains: tuple[str, ...],
    page_number: int = 1,
    article_url_pattern: str | None = None,
    list_links_selector: str | None = None,
    next_page_selector: str | None = None,
) -> ListPageLinks:
    """Decode (``decode_html``) and classify a downloaded list page: one picklable call, so
    that the spider can run it in its extraction worker, off the crawl process."""
    html_text, _ = decode_html(body, encoding_hint)
    return classify_list_page(
        html_text,
        page_url,
        domains,
        page_number=page_number,
        article_url_pattern=article_url_pattern,
        list_links_selector=list_links_selector,
        next_page_selector=next_page_selector,
    )


def classify_list_page(
    html_text: str,
    page_url: str,
    domains: tuple[str, ...],
    *,
    page_number: int = 1,
    article_url_pattern: str | None = None,
    list_links_selector: str | None = None,
    next_page_selector: str | None = None,
) -> ListPageLinks:
    """Article links (in page order, deduplicated) and the next list page(s) of one list page."""
    if list_links_selector or next_page_selector:
        selector = Selector(text=html_text or "<html></html>", base_url=page_url)
    result = ListPageLinks()
    root = parse(html_text)
    anchors = [(a, _text(a)) for a in root.iter("a") if a.get("href")]
    hrefs = _Hrefs(root, page_url)
    pattern = re.compile(article_url_pattern) if article_url_pattern else None

    if list_links_selector:
        candidates = [
            (urljoin(page_url, href), "") for href in _select(selector, list_links_selector, "href")
        ]
        result.articles = _dedupe(
            (strip_tracking(u), t) for u, t in candidates if on_site(u, domains)
        )
    else:
        result.articles = _generic_article_links(anchors, hrefs, page_url, domains, pattern)

    if next_page_selector:
        result.next_pages = [
            strip_tracking(urljoin(page_url, h))
            for h in _select(selector, next_page_selector, "href")
        ][:1]
    else:
        result.next_pages = _generic_next_pages(anchors, hrefs, page_url, domains, page_number)
    article_urls = {u for u, _ in result.articles}
    result.next_pages = [u for u in result.next_pages if u not in article_urls]
    return result


def _select(selector: Selector, query: str, attribute: str) -> list[str]:
    nodes = selector.xpath(query) if query.lstrip().startswith(("/", "(")) else selector.css(query)
    values = []
    for node in nodes:
        value = node.attrib.get(attribute) if hasattr(node, "attrib") else None
        if value is None:
            value = node.xpath(f".//a/@{attribute}").get() or node.get()
        if value:
            values.append(value.strip())
    return values


def is_article_url(
    url: str, domains: tuple[str, ...], pattern: re.Pattern[str] | None = None
) -> bool:
    """Does ``url`` look like one document of this portal (not a list, file or account page)?"""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not on_site(url, domains):
        return False
    if pattern is not None:
        return bool(pattern.search(url))
    path = parts.path or "/"
    if _FILE_EXT_RE.search(path) or _NON_ARTICLE_PATH_RE.search(path):
        return False
    query = dict((k.lower(), v) for k, v in parse_qsl(parts.query))
    if any(k in _PAGE_PARAMS for k in query) and not any(_ID_PARAM_RE.match(k) for k in query):
        return False
    if _LIST_PATH_RE.search(path):
        return False
    if any(_ID_PARAM_RE.match(k) and v.strip().isdigit() for k, v in query.items()):
        return True
    has_digits = bool(_DIGITS_RE.search(path)) or bool(_DIGITS_RE.search(parts.query))
    if _DOC_EXT_RE.search(path):
        return has_digits or len(path.rsplit("/", 1)[-1]) > 12
    # Extension-less paths: /news/2024/0311/123456 or /article/abc-12345
    return bool(re.search(r"\d{4,}", path))


def _in_boilerplate(anchor: etree._Element) -> bool:
    node = anchor.getparent()
    depth = 0
    while node is not None and depth < 12:
        if node.tag in _BOILERPLATE_TAGS:
            return True
        marker = f"{node.get('id') or ''} {node.get('class') or ''}"
        if marker.strip() and _BOILERPLATE_RE.search(marker):
            return True
        node = node.getparent()
        depth += 1
    return False


def _container_shape(anchor: etree._Element) -> str:
    """Tag/class path of the anchor's ancestors: links of one list share it."""
    parts = []
    node = anchor.getparent()
    for _ in range(4):
        if node is None:
            break
        parts.append(f"{node.tag}.{(node.get('class') or '').strip()}")
        node = node.getparent()
    anchor_class = (anchor.get("class") or "").strip()
    return f"{anchor_class}|" + "<".join(parts)


def _text(anchor: etree._Element) -> str:
    text = inner_text(anchor).strip() or (anchor.get("title") or "").strip()
    return re.sub(r"\s+", " ", text)


def _generic_article_links(
    anchors: list[tuple[etree._Element, str]],
    hrefs: _Hrefs,
    page_url: str,
    domains: tuple[str, ...],
    pattern: re.Pattern[str] | None,
) -> list[tuple[str, str]]:
    page_key = strip_tracking(page_url)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for anchor, text in anchors:
        if len(text) < _HEADLINE_MIN_CHARS and pattern is None:
            continue
        href = hrefs.of(anchor)
        if href is None:
            continue
        url = strip_tracking(href)
        if url == page_key or not is_article_url(url, domains, pattern):
            continue
        if pattern is None and _in_boilerplate(anchor):
            continue
        groups[_container_shape(anchor)].append((url, text))
    if not groups:
        return []
    if pattern is not None:
        return _dedupe(link for group in groups.values() for link in group)
    largest = max(len(group) for group in groups.values())
    # The main list, plus parallel blocks of the same size class (a list split in two columns
    # or several <ul>s); lone links and short teaser boxes are left out.
    kept = [g for g in groups.values() if len(g) >= max(3, largest // 2) or len(g) == largest]
    order = {id(g): i for i, g in enumerate(groups.values())}
    kept.sort(key=lambda g: order[id(g)])
    return _dedupe(link for group in kept for link in group)


def _generic_next_pages(
    anchors: list[tuple[etree._Element, str]],
    hrefs: _Hrefs,
    page_url: str,
    domains: tuple[str, ...],
    page_number: int,
) -> list[str]:
    """The next list page: a 下一页/next/rel=next link, else the link numbered page+1."""
    page_key = strip_tracking(page_url)
    by_text: list[str] = []
    by_number: list[str] = []
    wanted = str(page_number + 1)
    for anchor, text in anchors:
        rel = (anchor.get("rel") or "").lower()
        is_next = "next" in rel.split() or _NEXT_TEXT_RE.match(text) is not None
        if not is_next and text.strip("[] ") != wanted:
            continue  # the URL is worked out only for the few links that name a page
        href = hrefs.of(anchor)
        if href is None:
            continue
        url = strip_tracking(href)
        if url == page_key or not on_site(url, domains):
            continue
        if is_next:
            by_text.append(url)
        elif _looks_like_pagination(url):
            by_number.append(url)
    return _dedupe_urls(by_text or by_number)[:1]


def _looks_like_pagination(url: str) -> bool:
    parts = urlsplit(url)
    query = {k.lower() for k, _ in parse_qsl(parts.query)}
    return bool(query & _PAGE_PARAMS) or bool(
        re.search(r"([_-]\d+\.(s?html?|aspx?|php)$)|(/(page|p)/?\d+/?$)|(/\d+/?$)", parts.path)
    )


def _dedupe(links: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for url, text in links:
        if url not in seen:
            seen.add(url)
            out.append((url, text))
    return out


def _dedupe_urls(urls: Iterable[str]) -> list[str]:
    return [u for u, _ in _dedupe((u, "") for u in urls)]
