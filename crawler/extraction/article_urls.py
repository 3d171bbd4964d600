"""Is a URL plainly no article, and does it look like one? The two questions apart.

Only the first is a gate (another site, a file, an account or search page, a list page);
the second is a hint that weighs between link groups, since portals name articles
``/news/85.html`` or ``/zixun/37/`` as often as ``/2024/0311/123456.html``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from crawler.extraction.anchors import PAGE_PARAMS
from crawler.urls import on_site

_DOC_EXT_RE = re.compile(r"\.(s?html?|aspx?|php|jsp|do|shtm)$", re.IGNORECASE)
_FILE_EXT_RE = re.compile(
    r"\.(jpe?g|png|gif|bmp|webp|svg|pdf|docx?|xlsx?|pptx?|zip|rar|7z|exe|apk|mp4|mp3|css|js"
    r"|txt|xml|wps|csv)$",
    re.IGNORECASE,
)
_LIST_PATH_RE = re.compile(
    r"(^|/)(index|list|default|more|search|tag|tags|category|column|channel)"
    r"([_-]\d+)*\.(s?html?|aspx?|php|jsp)$|/(page|p)/\d+/?$",
    re.IGNORECASE,
)
_NON_ARTICLE_PATH_RE = re.compile(
    r"(?:^|[/_.-])(?:login|logon|logout|register|signup|reg|passport|member|user|cart|search|"
    r"sitemap|about|contact|help|advert|guestbook|feedback|rss|download|comment)s?(?:[/_.-]|$)",
    re.IGNORECASE,
)
_ID_PARAM_RE = re.compile(
    r"^(id|aid|nid|newsid|articleid|article_id|docid|contentid|itemid|"
    r"detailsid|tid|cid|infoid|news_id|sid)$",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"\d{3,}")


def may_be_article_url(
    url: str, domains: tuple[str, ...], pattern: re.Pattern[str] | None = None
) -> bool:
    """Could ``url`` be one document of this portal? No for other sites, files, account and
    search pages, and list pages (``index_2.html``, ``?page=3``); yes for anything else, since
    only the page's structure tells ``/zixun/37/`` (an article) from ``/channel/3/``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not on_site(url, domains):
        return False
    if pattern is not None:
        return bool(pattern.search(url))
    path = parts.path or "/"
    if path == "/" or _FILE_EXT_RE.search(path) or _NON_ARTICLE_PATH_RE.search(path):
        return False
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
    if any(k in PAGE_PARAMS for k in query) and not any(_ID_PARAM_RE.match(k) for k in query):
        return False
    return not _LIST_PATH_RE.search(path)


def looks_like_article_url(url: str) -> bool:
    """The URL shapes most articles have (a long number, an id parameter, a long file name):
    a hint that tips the balance between two link groups, not a rule."""
    parts = urlsplit(url)
    path = parts.path or "/"
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
    if any(_ID_PARAM_RE.match(k) and v.strip().isdigit() for k, v in query.items()):
        return True
    if _DOC_EXT_RE.search(path):
        return bool(_DIGITS_RE.search(path)) or len(path.rsplit("/", 1)[-1]) > 12
    return bool(re.search(r"\d{4,}", path))
