"""Traps: a pager that goes round, and a crawl that would never end without a budget."""

from __future__ import annotations

from simulator.server import PortalSimulator
from tests.conftest import run_crawl
from tests.test_crawl import rows
from tests.test_crawl_pager import PAGES, _list_path, build_short_url_site


def test_a_pager_whose_next_page_was_already_walked_ends_the_walk(tmp_path, sqlite_url):
    site = build_short_url_site()
    last = site.pages[_list_path(PAGES)]
    # The last page's pager points "下一页" back to page 2: a loop, not a new page.
    last.body = last.body.replace(
        f'<a href="{_list_path(PAGES)}">尾页</a>'.encode(),
        f'<a href="{_list_path(2)}">下一页&gt;&gt;</a>'.encode())
    with PortalSimulator([site]) as sim:
        base = sim.base("short")
        result = run_crawl(sqlite_url, tmp_path / "none.yaml", f"url={base}{site.list_path}",
                           "max_pages=50")
        hits = sim.hits("short")
    assert result.returncode == 0, result.log[-3000:]
    # Ended either by the pager reading (a "下一页" backwards is no next page) or by the
    # already-walked check; either way no list page is read twice and the crawl ends.
    assert "next page already walked" in result.log or "no next page" in result.log
    assert all(hits[_list_path(n)] == 1 for n in range(1, PAGES + 1))
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    assert stored == {base + str(a["url_path"]) for a in site.articles}


def test_a_crawl_over_its_request_budget_closes_with_that_reason(tmp_path, sqlite_url):
    site = build_short_url_site()
    with PortalSimulator([site]) as sim:
        base = sim.base("short")
        result = run_crawl(sqlite_url, tmp_path / "none.yaml", f"url={base}{site.list_path}",
                           settings={"PORTAL_REQUEST_BUDGET": "6", "ROBOTSTXT_OBEY": "0"})
    assert "request budget of 6 spent" in result.log, result.log[-3000:]
    runs = rows(sqlite_url, "SELECT status, message FROM crawl_runs")
    assert [r["status"] for r in runs] == ["failed"]
    assert "request_budget" in str(runs[0]["message"])
