"""End to end: the real ``scrapy crawl portal`` against the local portal simulator.

These are the behaviours a user relies on when they run the crawler and open the database:
every article once, clean fields, runs recorded, re-runs incremental, faults counted.
"""

from __future__ import annotations

import json
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from simulator.server import PortalSimulator
from simulator.sites import FAULT_IDS, Page, build_drive
from tests.conftest import run_crawl

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOILERPLATE = ("其他资讯", "投诉建议", "查看更多评论", "免责声明", "分享到", "上一篇", "下一篇",
               "Copyright", "版权所有", "相关新闻", "热点排行", "工控网首页")


def rows(url: str, sql: str, **params: object) -> list[dict[str, object]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def article_hits(sim: PortalSimulator) -> int:
    total = 0
    for server in sim.servers:
        total += sum(n for path, n in server.hits.items()
                     if "detail.aspx" in path or "/2024/" in path or "/html/" in path)
    return total


def assert_every_article_stored(sim: PortalSimulator, url: str) -> None:
    stored = {r["url"]: r for r in rows(url, "SELECT * FROM articles")}
    for site in sim.sites:
        base = sim.base(site.key)
        for truth in site.articles:
            row = stored.get(base + str(truth["url_path"]))
            assert row is not None, f"{site.key}: {truth['url_path']} not stored"
            assert row["portal"] == site.key
            assert row["section"] == site.section
            assert row["title"] == truth["title"]
            published = row["published_at"]
            if isinstance(published, str):  # SQLite through plain SQL
                from datetime import datetime

                published = datetime.fromisoformat(published).replace(tzinfo=UTC)
            expected = truth["published"].replace(tzinfo=SHANGHAI).astimezone(UTC)
            assert published.astimezone(UTC) == expected, site.key
            assert (row["author"] or None) == truth["author"], site.key
            body = row["body"]
            assert body.split("\n") == truth["paragraphs"], f"{site.key}: body differs"
            for word in BOILERPLATE:
                assert word not in body


def test_crawl_stores_every_article_of_every_portal_cleanly(simulator, portals_file, sqlite_url):
    result = run_crawl(sqlite_url, portals_file)
    assert result.returncode == 0, result.log[-3000:]
    assert_every_article_stored(simulator, sqlite_url)
    total = sum(len(site.articles) for site in simulator.sites)
    assert rows(sqlite_url, "SELECT count(*) AS n FROM articles")[0]["n"] == total

    (run,) = rows(sqlite_url, "SELECT * FROM crawl_runs")
    assert run["status"] == "ok"
    assert run["trigger"] == "manual"
    assert run["portal"] == "gkong,autonet,drive"
    assert run["items_new"] == total
    assert run["items_duplicate"] == 0
    assert json.loads(run["drops"]) == {}  # pages that are not articles are not even items
    assert run["errors"] == len(FAULT_IDS)  # every fault link counted once
    assert run["pages"] > total
    assert run["finished_at"] is not None
    linked = rows(sqlite_url, "SELECT count(*) AS n FROM articles WHERE crawl_run_id = :r",
                  r=run["id"])
    assert linked[0]["n"] == total


def test_faults_each_give_one_clear_log_line(simulator, portals_file, sqlite_url):
    result = run_crawl(sqlite_url, portals_file, "portal=drive")
    for reason in ("HTTP 404", "HTTP 500", "redirect loop", "empty body", "not HTML",
                   "truncated", "larger than download max size", "not an article"):
        assert reason in result.log, reason
    assert result.returncode == 0


def test_an_article_that_never_answers_times_out_and_the_crawl_goes_on(tmp_path, sqlite_url):
    site = build_drive(faults=False)
    hung = "/News/detail.aspx?id=3001"
    site.pages[hung].hang = True
    with PortalSimulator([site]) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        result = run_crawl(sqlite_url, portals, settings={"DOWNLOAD_TIMEOUT": "1",
                                                          "RETRY_TIMES": "0"})
    assert result.returncode == 0
    assert f"fetch failed for article page {sim.base('drive')}{hung}: timed out" in result.log
    stored = rows(sqlite_url, "SELECT url FROM articles")
    assert len(stored) == len(site.articles) - 1
    (run,) = rows(sqlite_url, "SELECT status, errors FROM crawl_runs")
    assert run == {"status": "ok", "errors": 1}


def test_an_article_moved_by_meta_refresh_is_stored_under_its_new_address(tmp_path, sqlite_url):
    site = build_drive(faults=False)
    old, new = "/News/detail.aspx?id=3002", "/News/show.aspx?id=3002"
    site.pages[new] = site.pages[old]
    site.pages[old] = Page(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
        f'<title>页面已迁移</title><meta http-equiv="refresh" content="0; url={new}"></head>'
        "<body><p>本页已迁移，正在跳转……</p></body></html>".encode("gbk")
    )
    with PortalSimulator([site]) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        result = run_crawl(sqlite_url, portals)
        base = sim.base("drive")
    assert result.returncode == 0, result.log[-3000:]
    stored = {r["url"]: r for r in rows(sqlite_url, "SELECT url, title FROM articles")}
    assert len(stored) == len(site.articles)
    assert base + old not in stored
    moved = next(a for a in site.articles if a["url_path"] == old)
    assert stored[base + new]["title"] == moved["title"]
    (run,) = rows(sqlite_url, "SELECT status, errors FROM crawl_runs")
    assert run == {"status": "ok", "errors": 0}


def test_robots_offsite_and_tracking_duplicates_are_not_fetched(simulator, portals_file,
                                                                 sqlite_url):
    run_crawl(sqlite_url, portals_file, "portal=drive")
    hits = simulator.hits("drive")
    assert not any(path.startswith("/News/private/") for path in hits), "robots.txt ignored"
    assert not any("from=" in path or "utm_" in path for path in hits)
    stored = [r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")]
    assert len(stored) == len(set(stored)) == len(simulator.sites[2].articles)
    assert all("example.com" not in u for u in stored)


def test_second_run_is_incremental(simulator, portals_file, sqlite_url):
    run_crawl(sqlite_url, portals_file)
    fetched_first = article_hits(simulator)
    before = rows(sqlite_url, "SELECT id, url, first_seen_at FROM articles ORDER BY id")

    result = run_crawl(sqlite_url, portals_file)
    assert result.returncode == 0
    # Only the fault links (never stored) are tried again; stored articles are not downloaded.
    refetched = article_hits(simulator) - fetched_first
    fault_fetches = sum(simulator.hits("drive")[f"/News/detail.aspx?id={i}"] for i in FAULT_IDS)
    assert refetched <= fault_fetches
    for site in simulator.sites:
        for truth in site.articles:
            assert simulator.hits(site.key)[str(truth["url_path"])] == 1
    # List pages are re-read, and pagination stops once PORTAL_CAUGHT_UP_PAGES (2) pages in a
    # row held nothing new: the simulated 工控网 has two list pages, both read again.
    assert simulator.hits("gkong")["/news/index.html"] == 2
    assert simulator.hits("gkong")["/news/index_2.html"] == 2
    assert rows(sqlite_url, "SELECT id, url, first_seen_at FROM articles ORDER BY id") == before
    runs = rows(sqlite_url, "SELECT * FROM crawl_runs ORDER BY id")
    assert [r["items_new"] for r in runs] == [len(before), 0]


def test_refresh_downloads_again_and_updates_in_place(simulator, portals_file, sqlite_url):
    run_crawl(sqlite_url, portals_file, "portal=gkong")
    before = rows(sqlite_url, "SELECT id, url, first_seen_at, last_seen_at FROM articles "
                              "ORDER BY id")
    run_crawl(sqlite_url, portals_file, "portal=gkong", "refresh=1")
    after = rows(sqlite_url, "SELECT id, url, first_seen_at, last_seen_at FROM articles "
                             "ORDER BY id")
    assert [(r["id"], r["url"], r["first_seen_at"]) for r in after] == \
        [(r["id"], r["url"], r["first_seen_at"]) for r in before]
    assert all(a["last_seen_at"] > b["last_seen_at"] for a, b in zip(after, before, strict=True))
    assert simulator.hits("gkong")["/news/2024/0311/1000.html"] == 2
    runs = rows(sqlite_url, "SELECT * FROM crawl_runs ORDER BY id")
    assert runs[1]["items_new"] == 0 and runs[1]["items_duplicate"] == len(before)


def test_portal_argument_and_max_pages(simulator, portals_file, sqlite_url):
    run_crawl(sqlite_url, portals_file, "portal=gkong", "max_pages=1")
    stored = rows(sqlite_url, "SELECT portal, url FROM articles")
    assert {r["portal"] for r in stored} == {"gkong"}
    assert len(stored) == 5  # the first list page only
    assert simulator.hits("gkong")["/news/index_2.html"] == 0
    (run,) = rows(sqlite_url, "SELECT portal FROM crawl_runs")
    assert run["portal"] == "gkong"


def test_zero_config_url_crawls_a_portal_without_profile(simulator, tmp_path, sqlite_url):
    section = simulator.base("autonet") + "/news/list_12.html"
    result = run_crawl(sqlite_url, tmp_path / "does-not-exist.yaml", f"url={section}")
    assert result.returncode == 0, result.log[-3000:]
    stored = rows(sqlite_url, "SELECT * FROM articles")
    truth = {simulator.base("autonet") + str(t["url_path"]): t
             for t in simulator.sites[1].articles}
    assert {r["url"] for r in stored} == set(truth)
    for row in stored:
        assert row["title"] == truth[row["url"]]["title"]  # GBK decoded from <meta> only


def test_unknown_portal_key_fails_with_the_fix(simulator, portals_file, sqlite_url):
    result = run_crawl(sqlite_url, portals_file, "portal=nosuch")
    assert result.returncode != 0
    assert "portals[nosuch]" in result.log and "gkong" in result.log


def test_bad_spider_argument_fails_with_the_fix(portals_file, sqlite_url):
    result = run_crawl(sqlite_url, portals_file, "max_pages=lots")
    assert result.returncode != 0
    assert "max_pages" in result.log and "whole number" in result.log


def test_host_down_is_a_failed_run(tmp_path, sqlite_url):
    portals = tmp_path / "down.yaml"
    portals.write_text(
        "portals:\n  - key: down\n    name: 停机网\n    sections:\n"
        "      - {name: 新闻, url: 'http://127.0.0.1:9/news/'}\n", encoding="utf-8")
    result = run_crawl(sqlite_url, portals)
    (run,) = rows(sqlite_url, "SELECT * FROM crawl_runs")
    assert run["status"] == "failed"
    assert run["errors"] >= 1
    assert "no section list page" in run["message"]
    assert "fetch failed for list page http://127.0.0.1:9/news/: connection refused" in result.log


def test_crawl_into_postgresql(simulator, portals_file, postgres_url):
    assert run_crawl(postgres_url, portals_file).returncode == 0
    assert run_crawl(postgres_url, portals_file).returncode == 0
    assert_every_article_stored(simulator, postgres_url)
    total = sum(len(site.articles) for site in simulator.sites)
    assert rows(postgres_url, "SELECT count(*) AS n FROM articles")[0]["n"] == total
    statuses = [r["status"] for r in rows(postgres_url, "SELECT status FROM crawl_runs")]
    assert statuses == ["ok", "ok"]


@pytest.mark.parametrize("url_arg", ["url=ftp://x/", "url=news/list.html"])
def test_bad_url_argument_is_rejected(portals_file, sqlite_url, url_arg):
    result = run_crawl(sqlite_url, portals_file, url_arg)
    assert result.returncode != 0
    assert "absolute http(s) URL" in result.log


def test_requests_name_the_page_they_were_found_on_and_overlong_links_are_skipped(
    tmp_path, sqlite_url
):
    site = build_drive(faults=False)
    listing = site.pages[site.list_path]
    overlong = "/News/detail.aspx?id=3001&x=" + "9" * 2100
    assert b'href="/News/detail.aspx?id=3001"' in listing.body
    assert b'href="/News/detail.aspx?id=3002"' in listing.body
    listing.body = listing.body.replace(
        b'href="/News/detail.aspx?id=3001"', f'href="{overlong}"'.encode()
    ).replace(b'href="/News/detail.aspx?id=3002"', b'href="/News/moved.aspx?id=3002"')
    # An article that moved (a redirect).
    site.pages["/News/moved.aspx?id=3002"] = Page(
        status=301, headers={"Location": "/News/detail.aspx?id=3002"}
    )
    with PortalSimulator([site]) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        result = run_crawl(sqlite_url, portals, "max_pages=2")
        base, server = sim.base("drive"), sim.server("drive")
    assert result.returncode == 0, result.log[-3000:]
    assert "Ignoring link (url length > 2083)" in result.log  # Scrapy's UrlLengthMiddleware
    assert not any(path.startswith("/News/detail.aspx?id=3001") for path in server.hits)
    # Like a browser: an article was linked from a list page, list page 2 from list page 1,
    # and the section's first page from nowhere.
    articles = [path for path in server.referers if path.startswith("/News/detail.aspx")
                and path != "/News/detail.aspx?id=3002"]
    assert articles
    for path in articles:
        assert server.referers[path].startswith(base + "/News/list.aspx?page="), path
    assert server.referers["/News/list.aspx?page=2"] == base + site.list_path
    assert server.referers[site.list_path] is None
    assert server.hits["/News/moved.aspx?id=3002"] == 1
    # Scrapy's RefererMiddleware names the redirecting URL as the Referer of the redirect.
    assert server.referers["/News/detail.aspx?id=3002"] == base + "/News/moved.aspx?id=3002"
    assert "found no" not in result.log  # Scrapy's warning when nothing handles redirects


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.1:8001/news/", "127.0.0.1:8001"),
        ("http://127.0.0.1:8002/news/", "127.0.0.1:8002"),
        ("http://www.gongkong.com/news/", "gongkong.com"),
        ("http://www.gongkong.com:80/news/", "gongkong.com"),
        ("https://www.ca800.com:443/news/", "ca800.com"),
        ("https://www.ca800.com:8443/news/", "ca800.com:8443"),
        ("http://News.Example.CN/zixun/", "news.example.cn"),
    ],
)
def test_a_url_only_crawl_names_the_portal_by_host_and_non_default_port(url, key):
    from crawler.spiders.targets import ad_hoc_portal

    portal = ad_hoc_portal(url, None)
    assert (portal.key, portal.name) == (key, key)
