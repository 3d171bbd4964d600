"""Hostile pages among the articles of a list page: the crawl ends, stores every normal
article, fetches nothing offsite or on a refused address, and nothing by file://; a server
that never finishes its answer (slow-loris, endless stream) is given up within the download
bounds, with one log line each and the error counted in the run."""

from __future__ import annotations

import gzip
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from simulator.sites import Page
from tests.faults.short_site import crawl_served, link_from_first_list_page
from tests.test_crawl import rows
from tests.test_crawl_pager import _list_path, build_short_url_site

# What each hostile page must end as: a fragment of its one WARNING/ERROR line.
_OUTCOMES = {
    "901": "too many redirects",  # redirect loop
    "902": "not on the portal's site",  # 302 offsite
    "903": "not on the portal's site",  # 302 to the cloud metadata address
    "904": "during decompression",  # gzip bomb
    "905": "larger than download max size",  # 50 MB page
    "906": "not an article",  # invalid bytes
    "907": "not an article",  # 100k-deep nesting
    "908": "timed out",  # hangs
    "909": "truncated",
    "910": "not on the portal's site",  # meta refresh offsite
}


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


class _Elsewhere(ThreadingHTTPServer):
    """The rest of the internet, as an HTTP proxy: every request the crawl sends off its
    portal lands here and is answered with a fine article, so a fetch that should not happen
    is seen (and would be stored), not lost in a DNS failure of this offline machine."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _ElsewhereHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ElsewhereHandler(BaseHTTPRequestHandler):
    server: _Elsewhere

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.seen.append(self.path)
        body = _article_page("外站的新闻标题：某企业发布新一代控制器产品")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _article_page(title: str) -> bytes:
    text = "".join(f"<p>{title}。这是正文第{n}段，介绍产品在工业自动化领域的应用和市场前景。</p>"
                   for n in range(12))
    return (f"<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
            f"<h1>{title}</h1><div class=\"info\">2024-03-01 来源：外站</div>{text}"
            "</body></html>").encode()


@pytest.fixture
def elsewhere(monkeypatch) -> Iterator[_Elsewhere]:
    """Every host but 127.0.0.1 reached through the ``_Elsewhere`` proxy (http_proxy in the
    crawl's environment; the portal itself is fetched directly)."""
    server = _Elsewhere()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    monkeypatch.setenv("http_proxy", server.url)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_hostile_pages_do_not_stop_or_poison_the_crawl(tmp_path, sqlite_url, figures, elsewhere):
    site = build_short_url_site()
    hostile = _hostile_pages()
    site.pages.update(hostile)
    secret = tmp_path / "secret.html"  # would be stored if file:// were fetched
    secret.write_bytes(_article_page("本地文件的新闻标题：不该被抓取的内部资料"))
    link_from_first_list_page(
        site, [(path, f"恶意页面{path[-8:-5]}号新闻标题") for path in hostile]
        + [(secret.as_uri(), "本地文件新闻标题")])
    started = time.monotonic()
    result, hits, base = crawl_served(site, sqlite_url, tmp_path,
                                      settings={"DOWNLOAD_TIMEOUT": "3"}, timeout=180)
    took = time.monotonic() - started
    assert result.returncode == 0, result.log[-3000:]
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    expected = {base + str(a["url_path"]) for a in site.articles}
    assert expected <= stored, "a hostile page cost a normal article"
    assert stored == expected, "something off the portal was stored"
    assert elsewhere.seen == [], "the crawl fetched off its portal"
    assert hits[_list_path(1)] == 1
    for number, outcome in _OUTCOMES.items():
        lines = _error_lines(result.log, f"/news/{number}.html")
        assert len(lines) == 1 and outcome in lines[0], (number, lines)
    assert "secret.html" not in result.log
    figures.append({"fault": "hostile pages (redirect loop/offsite/169.254, gzip bomb, 50 MB, "
                             "bad bytes, 100k nesting, hang, truncated, meta refresh, file://)",
                    "injected": len(hostile) + 1, "survived": len(hostile) + 1,
                    "articles lost": len(expected - stored), "duplicates": 0,
                    "time to recover (s)": f"{took:.1f} (whole crawl)"})


# Bounds of the crawl below: a dribbling or endless answer must end within them.
_TIMEOUT_S = 3
_MAXSIZE = 2 * 1024 * 1024
_ATTEMPTS = 3  # RETRY_TIMES = 2: a timed-out page is tried at most three times


def _endless_pages(base_path: str = "/news") -> dict[str, Page]:
    return {
        f"{base_path}/921.html": Page(drip=1.0),  # a byte a second: no read ever idles 3 s
        f"{base_path}/922.html": Page(endless=True),
    }


def _error_lines(log: str, path: str) -> list[str]:
    """The WARNING/ERROR lines naming ``path``: what an operator reads about that page."""
    return [line for line in log.splitlines()
            if re.search(r"\] (WARNING|ERROR):", line) and path in line]


def test_a_slow_loris_and_an_endless_stream_are_given_up_within_the_download_bounds(
        tmp_path, sqlite_url, figures):
    site = build_short_url_site()
    endless = _endless_pages()
    site.pages.update(endless)
    link_from_first_list_page(site, [(path, f"无尽页面{path[-8:-5]}号新闻标题")
                                     for path in endless])
    started = time.monotonic()
    result, hits, base = crawl_served(site, sqlite_url, tmp_path,
                                      settings={"DOWNLOAD_TIMEOUT": str(_TIMEOUT_S),
                                                "DOWNLOAD_MAXSIZE": str(_MAXSIZE)}, timeout=180)
    took = time.monotonic() - started
    assert result.returncode == 0, result.log[-3000:]
    # Every timed-out attempt costs at most the timeout; the rest of the crawl is seconds.
    # Unbounded, the slow-loris alone would keep the crawl for its 10 MB: ~4 months.
    assert took < _ATTEMPTS * _TIMEOUT_S + 60, f"crawl took {took:.0f}s"
    slow, stream = endless
    assert 1 <= hits[slow] <= _ATTEMPTS and hits[stream] == 1
    slow_lines, stream_lines = _error_lines(result.log, slow), _error_lines(result.log, stream)
    assert len(slow_lines) == 1 and "timed out" in slow_lines[0], slow_lines
    assert len(stream_lines) == 1 and "DOWNLOAD_MAXSIZE" in stream_lines[0], stream_lines
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    expected = {base + str(a["url_path"]) for a in site.articles}
    assert expected <= stored, "a never-ending page cost a normal article"
    assert not any(path in url for url in stored for path in endless)
    [run] = rows(sqlite_url, "SELECT status, errors FROM crawl_runs")
    assert run == {"status": "ok", "errors": 2}
    for fault in ("slow-loris (headers, then 1 byte/s forever)",
                  "endless chunked stream at full speed"):
        figures.append({"fault": fault, "injected": 1, "survived": 1,
                        "articles lost": len(expected - stored), "duplicates": 0,
                        "time to recover (s)": f"{took:.1f} (whole crawl)"})
