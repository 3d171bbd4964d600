"""``portal check KEY|URL``: what the profile (or the generic rules) get out of live pages.

For someone writing a profile: fetch one section list page and its first article with a plain
HTTP request, run the same pure functions the spider runs (``crawler.extraction.links`` and
``crawler.extraction.extract_response``), and show field by field what came out and whether a
profile selector or the generic rules produced it.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from crawler.config.profiles import Portal, Section, load_portals
from crawler.extraction import Selectors, extract_response
from crawler.extraction.links import list_page_links
from crawler.settings import USER_AGENT
from crawler.urls import strip_tracking
from pipelines.attribution import aliases_for, attribute


def fetch(url: str, timeout: float = 20.0) -> tuple[bytes, str | None]:
    """Body and the charset the server declared (the extraction decides what to trust)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
        return response.read(), response.headers.get_content_charset()


def resolve(target: str, portals_file: str | None) -> tuple[Portal, Section]:
    if urlsplit(target).scheme in ("http", "https"):
        host = (urlsplit(target).hostname or "unknown").lower().removeprefix("www.")
        section = Section("新闻", strip_tracking(target))
        return Portal(key=host, name=host, sections=(section,)), section
    portal = load_portals(portals_file).get(target)
    return portal, portal.sections[0]


def check(target: str, portals_file: str | None, echo: Callable[[str], None]) -> bool:
    """Print the report; True when the list page gave article links and the article a body."""
    portal, section = resolve(target, portals_file)
    chosen = portal.selectors
    echo(f"portal   {portal.key} ({portal.name})")
    echo(f"section  {section.name}: {section.url}")
    body, charset = fetch(section.url)
    links = list_page_links(body, portal.encoding or charset, section.url, portal.domains, 1,
                            portal.article_url_pattern, chosen.list_links, chosen.next_page)
    how = "profile selector" if chosen.list_links else "generic rules"
    echo(f"\nlist page: {len(links.articles)} article links ({how}), "
         f"{len(links.next_pages)} next-page links "
         f"({'profile selector' if chosen.next_page else 'generic rules'})")
    for url, text in links.articles[:8]:
        echo(f"  {text[:30]:<30}  {url}")
    for url in links.next_pages[:3]:
        echo(f"  next: {url}")
    if not links.articles:
        echo("\nno article link found: set selectors.list_links or article_url_pattern")
        return False
    article_url = links.articles[0][0]
    body, charset = fetch(article_url)
    selectors = Selectors(title=chosen.title, dateline=chosen.dateline, body=chosen.body)
    fields, encoding = extract_response(body, portal.encoding or charset, article_url,
                                        selectors, datetime.now(UTC))
    echo(f"\narticle: {article_url} (decoded as {encoding})")
    pinned = {"title": chosen.title, "published_at": chosen.dateline, "body": chosen.body}
    # What the attribution pipeline would store, from the evidence extraction reports.
    decided = attribute(fields.byline_text, fields.footer_text, fields.body, fields.meta,
                        portal.name, aliases_for())
    shown_fields = {name: getattr(fields, name) for name in (
        "page_type", "title", "published_at", "published_text", "byline_text",
        "canonical_url")}
    shown_fields |= {"author": decided.author, "source": decided.source,
                     "is_reprint": decided.is_reprint, "body": fields.body}
    for name, value in shown_fields.items():
        shown = "-" if value in (None, "") else str(value)
        if name == "body" and value:
            shown = f"{len(value)} chars: " + " ".join(value[:80].split()) + "…"
        origin = f"profile: {pinned[name]}" if pinned.get(name) else "generic"
        echo(f"  {name:<15} {shown[:110]:<60}  [{origin}]")
    return bool(fields.body) and fields.page_type == "article"
