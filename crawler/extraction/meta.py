"""``<meta>`` tags and ``<link rel=canonical>``: cheap, often exact hints for the other fields."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree

_WANTED_PREFIXES = ("og:", "article:", "twitter:", "dc.")
_WANTED = frozenset(
    {
        "source",
        "contentsource",
        "author",
        "description",
        "keywords",
        "publishdate",
        "pubdate",
        "publish_date",
        "ptime",
        "publishtime",
        "date",
        "datepublished",
        "title",
        "site",
        "sitename",
        "copyright",
        "mediaid",
        "lastmodifiedtime",
    }
)


def read_meta(root: etree._Element) -> dict[str, str]:
    """Lower-cased name/property -> content for the tags the attribution step may use."""
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = element.get("name") or element.get("property") or element.get("itemprop") or ""
        key = key.strip().lower()
        content = (element.get("content") or "").strip()
        if key and content and (key in _WANTED or key.startswith(_WANTED_PREFIXES)):
            found.setdefault(key, content)
    return found


def canonical_url(root: etree._Element, url: str) -> str | None:
    for element in root.iter("link"):
        if "canonical" in (element.get("rel") or "").lower().split() and element.get("href"):
            return urljoin(url or "", element.get("href", "").strip())
    return None
