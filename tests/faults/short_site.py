"""The set-up most fault tests share: the short-URL sample portal, served for one profile-less
crawl (``-a url=``), with hostile links added to its first list page."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from simulator.server import PortalSimulator
from simulator.sites import Site
from tests.conftest import CrawlResult, run_crawl
from tests.test_crawl_pager import _list_path


def crawl_served(site: Site, database_url: str, tmp_path: Path, *args: str,
                 path: str | None = None, settings: dict[str, str] | None = None,
                 timeout: float = 120) -> tuple[CrawlResult, Counter[str], str]:
    """Serve ``site`` and crawl it from ``path`` (its list page by default); the crawl's
    result, the server's hits per path, and the site's base URL."""
    with PortalSimulator([site]) as sim:
        base = sim.base("short")
        result = run_crawl(database_url, tmp_path / "none.yaml",
                           f"url={base}{path or site.list_path}", *args, settings=settings,
                           timeout=timeout)
        return result, sim.hits("short"), base


def link_from_first_list_page(site: Site, anchors: list[tuple[str, str]]) -> None:
    """Add (href, title) headline links, dated like the real ones, to the first list page."""
    links = "".join(f'<li><a href="{href}">{title}</a><span>2024-03-01</span></li>'
                    for href, title in anchors)
    first = site.pages[_list_path(1)]
    first.body = first.body.replace(b"</ul>", links.encode() + b"</ul>", 1)
