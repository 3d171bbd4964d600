"""Traps: a pager that goes round, pagers and calendars that never end, and a crawl that
would never end without a budget. Each ends its section by itself: after
PORTAL_CAUGHT_UP_PAGES list pages with nothing new, at max_pages, or at the request budget."""

from __future__ import annotations

import html
import re
import time
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from crawler.settings import PORTAL_CAUGHT_UP_PAGES as CAUGHT_UP_PAGES
from simulator.sites import Page, Site
from simulator.text import article_text
from tests.faults.short_site import crawl_served
from tests.test_crawl import rows
from tests.test_crawl_pager import PAGES, PER_PAGE, _layout, _list_path, build_short_url_site


def test_a_pager_whose_next_page_was_already_walked_ends_the_walk(tmp_path, sqlite_url):
    site = build_short_url_site()
    last = site.pages[_list_path(PAGES)]
    # The last page's pager points "下一页" back to page 2: a loop, not a new page.
    last.body = last.body.replace(
        f'<a href="{_list_path(PAGES)}">尾页</a>'.encode(),
        f'<a href="{_list_path(2)}">下一页&gt;&gt;</a>'.encode())
    result, hits, base = crawl_served(site, sqlite_url, tmp_path, "max_pages=50")
    assert result.returncode == 0, result.log[-3000:]
    # Ended either by the pager reading (a "下一页" backwards is no next page) or by the
    # already-walked check; either way no list page is read twice and the crawl ends.
    assert "next page already walked" in result.log or "no next page" in result.log
    assert all(hits[_list_path(n)] == 1 for n in range(1, PAGES + 1))
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    assert stored == {base + str(a["url_path"]) for a in site.articles}


def test_a_crawl_over_its_request_budget_closes_with_that_reason(tmp_path, sqlite_url):
    site = build_short_url_site()
    result, _, _ = crawl_served(site, sqlite_url, tmp_path,
                                settings={"PORTAL_REQUEST_BUDGET": "6", "ROBOTSTXT_OBEY": "0"})
    assert "request budget of 6 spent" in result.log, result.log[-3000:]
    runs = rows(sqlite_url, "SELECT status, message FROM crawl_runs")
    assert [r["status"] for r in runs] == ["failed"]
    assert "request_budget" in str(runs[0]["message"])


# -- endless pagers and calendars: pages made on request, for ever ------------------------------

_DAY_RE = re.compile(r"^/news/cal/(\d{8})\.html$")
_DAY_ARTICLE_RE = re.compile(r"^/news/cal/a(\d{8})\.html$")
_PAGE_RE = re.compile(r"^/news/index_(\d+)\.html$")
_FIRST_DAY = date(2024, 3, 1)


def _list_page(items: list[tuple[str, str]], pager: str) -> Page:
    links = "".join(f'<li><a href="{href}">{html.escape(title)}</a><span>2024-03-01</span></li>'
                    for href, title in items)
    main = f'<ul class="lb">{links}</ul><div class="fy">{pager}</div>'
    return Page(_layout("新闻_模拟小站", main))


def _first_articles(site: Site) -> list[tuple[str, str]]:
    return [(str(a["url_path"]), str(a["title"])) for a in site.articles[:PER_PAGE]]


def _endless_pager_site() -> Site:
    """Page N links page N+1 for ever, every page listing page 1's articles again."""
    site = build_short_url_site()
    repeated = _first_articles(site)
    for number in range(2, PAGES + 1):
        del site.pages[_list_path(number)]
    site.pages[_list_path(1)] = _list_page(repeated, f'<a href="{_list_path(2)}">下一页</a>')

    def generate(path: str) -> Page | None:
        match = _PAGE_RE.match(path)
        if match is None:
            return None
        number = int(match[1])
        return _list_page(repeated, f'<a href="{_list_path(1)}">首页</a> '
                                    f'<a href="{_list_path(number + 1)}">下一页</a>')

    site.generate = generate
    return site


def _calendar_site(days: str) -> Site:
    """An archive by day, each day's page linking the next (rel=next) for ever, listing no
    articles (``empty``), page 1's articles again (``repeated``) or one made-up article of its
    own (``new``)."""
    site = build_short_url_site()
    repeated = _first_articles(site)
    site.list_path = "/news/cal/20240301.html"

    def day_page(day: date) -> Page:
        own = [(f"/news/cal/a{day:%Y%m%d}.html", f"{day:%m月%d日}自动化行业动态汇总")]
        items = {"empty": [], "repeated": repeated, "new": own}[days]
        after = day + timedelta(days=1)
        return _list_page(items, f'<a rel="next" href="/news/cal/{after:%Y%m%d}.html">后一天</a>')

    def generate(path: str) -> Page | None:
        if match := _DAY_RE.match(path):
            return day_page(datetime.strptime(match[1], "%Y%m%d").date())
        if match := _DAY_ARTICLE_RE.match(path):
            title, paragraphs, _ = article_text(int(match[1]))
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
            return Page(_layout(html.escape(title), f"<h1>{html.escape(title)}</h1>"
                                f'<div class="info">2024-03-01 来源：模拟小站</div>{body}'))
        return None

    site.generate = generate
    return site


def _trap_row(fault: str, lost: set[str], started: float) -> dict[str, object]:
    return {"fault": fault, "injected": 1, "survived": 1, "articles lost": len(lost),
            "duplicates": 0, "time to recover (s)": f"{time.monotonic() - started:.1f} "
                                                    "(whole crawl)"}


def _list_hits(hits: Counter[str]) -> int:
    return sum(n for path, n in hits.items() if _PAGE_RE.match(path) or _DAY_RE.match(path)
               or path == _list_path(1))


def test_an_endless_pager_repeating_its_articles_ends_once_nothing_is_new(tmp_path, sqlite_url,
                                                                          figures):
    """Articles queued earlier in the same run are not new: before they are stored, a pager
    showing them again on every page ran to max_pages."""
    site = _endless_pager_site()
    started = time.monotonic()
    result, hits, base = crawl_served(site, sqlite_url, tmp_path, "max_pages=50")
    assert result.returncode == 0, result.log[-3000:]
    assert "caught up" in result.log, result.log[-3000:]
    assert _list_hits(hits) == 1 + CAUGHT_UP_PAGES
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    expected = {base + path for path, _ in _first_articles(site)}
    assert stored == expected
    figures.append(_trap_row(f"endless pager repeating its articles (max_pages=50): ended after "
                             f"{_list_hits(hits)} list pages", expected - stored, started))


@pytest.mark.parametrize(("days", "pages_read"), [("empty", CAUGHT_UP_PAGES),
                                                  ("repeated", 1 + CAUGHT_UP_PAGES)])
def test_a_calendar_of_empty_or_repeated_days_ends_once_nothing_is_new(
        tmp_path, sqlite_url, days, pages_read, figures):
    site = _calendar_site(days)
    started = time.monotonic()
    result, hits, _ = crawl_served(site, sqlite_url, tmp_path, "max_pages=50")
    assert result.returncode == 0, result.log[-3000:]
    assert "caught up" in result.log, result.log[-3000:]
    assert _list_hits(hits) == pages_read
    figures.append(_trap_row(f"calendar trap, {days} days (max_pages=50): ended after "
                             f"{pages_read} list pages", set(), started))


def test_a_calendar_with_a_new_article_every_day_ends_at_max_pages(tmp_path, sqlite_url):
    site = _calendar_site("new")
    result, hits, _ = crawl_served(site, sqlite_url, tmp_path, "max_pages=6")
    assert result.returncode == 0, result.log[-3000:]
    assert "walk ends at page 6 (page limit)" in result.log
    assert _list_hits(hits) == 6
    assert len(rows(sqlite_url, "SELECT url FROM articles")) == 6


def test_a_calendar_trap_without_a_page_limit_ends_at_the_request_budget(tmp_path, sqlite_url,
                                                                         figures):
    site = _calendar_site("new")
    started = time.monotonic()
    result, hits, _ = crawl_served(site, sqlite_url, tmp_path, "max_pages=1000",
                                   settings={"PORTAL_REQUEST_BUDGET": "40"})
    assert "request budget of 40 spent" in result.log, result.log[-3000:]
    assert sum(hits.values()) <= 40 + 4  # requests already in flight when it closes
    [run] = rows(sqlite_url, "SELECT status, message FROM crawl_runs")
    assert run["status"] == "failed" and "request_budget" in str(run["message"])
    assert rows(sqlite_url, "SELECT url FROM articles"), "what was fetched is stored"
    figures.append(_trap_row("calendar trap, a new article every day, max_pages=1000: ended at "
                             "PORTAL_REQUEST_BUDGET=40 (run failed, request_budget)", set(),
                             started))
