"""Link classification on a section list page: article links, next list page, everything else.

Pure functions over a parsed page, so that the spider only decides what to follow and these
rules can be tested on their own. The page's structure decides what an article link is: the
main list is the largest group of headline links sharing one container shape (items often
dated), which leaves out navigation menus, "热点排行"/"相关新闻" sidebars and footer links even
when they point at articles too. A URL's shape is only a hint between groups, never a gate:
portals name articles ``/news/85.html``, ``/dongtai/c12.htm`` or ``/zixun/37/``, and a rule
wanting long numbers missed every one. Only what is plainly no article (an account or search
page, a file, another site, a list page) is left out by its URL. The next page: ``pager``.

A little over 300 lines on purpose: the group scoring and its small node predicates
(sidebar heading, boilerplate mark, container shape, date) are one rule read together;
split, each half would only make sense with the other open beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from crawler.extraction import pager
from crawler.extraction.anchors import (
    Hrefs,
    anchor_text,
    dedupe,
    page_position,
    parse,
)
from crawler.extraction.article_urls import looks_like_article_url, may_be_article_url
from crawler.extraction.encoding import decode_html
from crawler.urls import on_site, strip_tracking

_BOILERPLATE_RE = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|header|topbar|footer|foot|bottom|copyright|"
    r"side|sidebar|aside|hot|rank|ranking|related|relate|recommend|tuijian|xiangguan|"
    r"paihang|remen|ad|ads|advert|banner|login|breadcrumb|crumb|position|location|"
    r"share|friendlink|links)([\s_-]|\d|$)",
    re.IGNORECASE,
)
_BOILERPLATE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "script", "style"})
# The heading of a sidebar box whose markup carries no telling class: <h3>热点排行</h3><ul>..
_SIDEBAR_HEADING_RE = re.compile(
    r"热点|排行|热门|热读|推荐|相关|点击榜|阅读榜|猜你喜欢|精彩图|图片新闻|专题|友情链接|合作伙伴"
)
_HEADING_MAX_CHARS = 20
_HEADING_DEPTH = 4
# 2024-03-08, 2024/3/8, 2024年3月8日, 03-08, [3-8]: a dateline beside a headline.
_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}|(?<!\d)\d{1,2}\s*[-/月]\s*\d{1,2}(?!\d)")
# Item classes that vary inside one list (odd/even rows, a highlighted first item).
_ITEM_CLASS_NOISE_RE = re.compile(
    r"^(odd|even|first|last|alt|hover|top|new|hot|on|cur|current|active|bg\d*|line\d*|"
    r"item\d+|li\d+|n\d+)$",
    re.IGNORECASE,
)
_ITEM_TAGS = frozenset({"li", "tr", "td", "dd", "dt", "p", "div", "h2", "h3", "h4", "span"})
_HEADLINE_MIN_CHARS = 5
_HEADLINE_FULL_CHARS = 12
_HINT_WEIGHT = 0.25  # per hint (dated items, document-like URLs, headline-long texts)


@dataclass
class ListPageLinks:
    articles: list[tuple[str, str]] = field(default_factory=list)  # (url, anchor text)
    next_pages: list[str] = field(default_factory=list)


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
    """Decode (``decode_html``) and classify a downloaded list page, as the spider gets it."""
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
    """Article links (in page order, deduplicated) and the next list page(s) of one list page.

    ``page_number``: how deep in the section the spider is (1 for the seed); only a hint, the
    pager and the URL say which page this is when they can.
    """
    result = ListPageLinks()
    root = parse(html_text)
    if list_links_selector or next_page_selector:
        # On the tree parsed above: a profile's selectors cost no second parse of the page.
        selector = Selector(root=root, type="html", base_url=page_url)
    anchors = [(a, anchor_text(a)) for a in root.iter("a") if a.get("href")]
    hrefs = Hrefs(root, page_url)
    pattern = re.compile(article_url_pattern) if article_url_pattern else None

    if next_page_selector:
        # A profile's selector is trusted for where the pager is, not for where it points: the
        # same same-site and http(s) checks as generic links.
        result.next_pages = [
            strip_tracking(u)
            for u in (urljoin(page_url, h) for h in _select(selector, next_page_selector, "href"))
            if _fetchable(u, domains)
        ][:1]
    else:
        result.next_pages = pager.next_pages(anchors, hrefs, root, page_url, domains, page_number)

    if list_links_selector:
        candidates = [
            (urljoin(page_url, href), "") for href in _select(selector, list_links_selector, "href")
        ]
        result.articles = dedupe(
            (strip_tracking(u), t) for u, t in candidates if _fetchable(u, domains)
        )
    else:
        result.articles = _generic_article_links(anchors, hrefs, page_url, domains, pattern)
    next_urls = set(result.next_pages)
    result.articles = [(u, t) for u, t in result.articles if u not in next_urls]
    return result


def _fetchable(url: str, domains: tuple[str, ...]) -> bool:
    """http(s) and on one of the portal's sites: never file://, ftp:// or another host."""
    return url.lower().startswith(("http://", "https://")) and on_site(url, domains)


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


@dataclass
class _Group:
    links: list[tuple[str, str]] = field(default_factory=list)
    dated: int = 0
    first: int = 0  # page order of the group's first link

    def dated_share(self) -> float:
        return min(1.0, self.dated / len(self.links))

    def score(self) -> float:
        """Distinct links, raised by up to 75% for the hints of a headline list."""
        urls = {u for u, _ in self.links}
        n = len(urls)
        hinted = sum(1 for u in urls if looks_like_article_url(u)) / n
        long_text = sum(min(1.0, len(t) / _HEADLINE_FULL_CHARS) for _, t in self.links)
        return n * (
            1 + _HINT_WEIGHT * (min(1.0, self.dated / n) + hinted + long_text / len(self.links))
        )


def _generic_article_links(
    anchors: list[tuple[etree._Element, str]],
    hrefs: Hrefs,
    page_url: str,
    domains: tuple[str, ...],
    pattern: re.Pattern[str] | None,
) -> list[tuple[str, str]]:
    page_key = strip_tracking(page_url)
    list_key = page_position(page_key).key
    groups: dict[str, _Group] = {}
    context = _Context()
    for order, (anchor, text) in enumerate(anchors):
        if len(text) < _HEADLINE_MIN_CHARS and pattern is None:
            continue
        if pattern is None and context.outside(anchor):
            continue  # a menu, sidebar or footer link (checked first: cached, no URL to join)
        href = hrefs.of(anchor)
        if href is None:
            continue
        url = strip_tracking(href)
        if url == page_key or not may_be_article_url(url, domains, pattern):
            continue
        if pattern is None and page_position(url).key == list_key:
            continue  # another page of this list
        group = groups.setdefault(_container_shape(anchor), _Group(first=order))
        group.links.append((url, text))
        group.dated += _dated(anchor)
    if not groups:
        return []
    if pattern is not None:
        return dedupe(link for group in groups.values() for link in group.links)
    scores = {id(g): g.score() for g in groups.values()}
    best = max(groups.values(), key=lambda g: (scores[id(g)], -g.first))
    # The main list, plus parallel blocks nearly as strong and of its kind (a list split in
    # two columns or several <ul>s); lone links, teaser boxes and a row of channel links
    # (/zixun/3/ beside articles at /zixun/37/, but undated) are left out.
    kept = [
        g
        for g in groups.values()
        if g is best
        or (
            len(g.links) >= 3
            and scores[id(g)] >= scores[id(best)] / 2
            and g.dated_share() >= best.dated_share() / 2
        )
    ]
    kept.sort(key=lambda g: g.first)
    return dedupe(link for group in kept for link in group.links)


class _Context:
    """Is a link in a menu, sidebar or footer? Answers cached per ancestor, since the links of
    one box share them. A box heading (热点排行) counts only close above the link: far up, a
    short line before the page's main column says nothing about the list inside it."""

    def __init__(self) -> None:
        self._marked: dict[etree._Element, bool] = {}
        self._headed: dict[etree._Element, bool] = {}

    def outside(self, anchor: etree._Element) -> bool:
        node = anchor.getparent()
        for depth in range(12):
            if node is None:
                return False
            if _cached(self._marked, node, _marked_boilerplate):
                return True
            if depth < _HEADING_DEPTH and _cached(self._headed, node, _under_sidebar_heading):
                return True
            node = node.getparent()
        return False


def _cached(
    cache: dict[etree._Element, bool], node: etree._Element, test: Callable[[etree._Element], bool]
) -> bool:
    known = cache.get(node)
    if known is None:
        known = cache[node] = test(node)
    return known


def _marked_boilerplate(node: etree._Element) -> bool:
    if node.tag in _BOILERPLATE_TAGS:
        return True
    marker = f"{node.get('id') or ''} {node.get('class') or ''}"
    return bool(marker.strip() and _BOILERPLATE_RE.search(marker))


def _under_sidebar_heading(node: etree._Element) -> bool:
    sibling = node.getprevious()
    for _ in range(2):
        if sibling is None:
            return False
        if isinstance(sibling.tag, str) and sibling.tag not in ("ul", "ol", "table"):
            heading = "".join(sibling.itertext()).strip()
            if heading and len(heading) <= _HEADING_MAX_CHARS:
                return bool(_SIDEBAR_HEADING_RE.search(heading))
        sibling = sibling.getprevious()
    return False


def _container_shape(anchor: etree._Element) -> str:
    """Tag/class path of the anchor's ancestors: links of one list share it. Class words that
    vary from item to item (odd/even, a highlighted first item) are left out."""
    parts = []
    node = anchor.getparent()
    for _ in range(4):
        if node is None:
            break
        classes = " ".join(
            w for w in (node.get("class") or "").split() if not _ITEM_CLASS_NOISE_RE.match(w)
        )
        parts.append(f"{node.tag}.{classes}")
        node = node.getparent()
    return "<".join(parts)


def _dated(anchor: etree._Element) -> bool:
    """A date beside the headline, in its list item or the item just after (``<dd>``)."""
    item = anchor.getparent()
    if item is not None and item.tag not in _ITEM_TAGS:
        item = item.getparent()
    if item is None:
        return False
    own = "".join(anchor.itertext())
    around = "".join(item.itertext()).replace(own, "", 1)
    after = item.getnext()
    if after is not None and isinstance(after.tag, str) and after.tag in ("dd", "td", "span"):
        around += "".join(after.itertext())[:40]
    return bool(_DATE_RE.search(around))
