"""Disk full for the log: every write of the log fails (``LOG_FILE=/dev/full``, ENOSPC), and
the crawl still stores every article, records its usual status, exits with its usual code and
says so once on stderr, not once a record."""

from __future__ import annotations

import os
import time

import pytest

from tests.faults.short_site import crawl_served
from tests.test_crawl import rows
from tests.test_crawl_pager import build_short_url_site

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])  # DEBUG: hundreds of records, one line
def test_a_log_on_a_full_disk_costs_no_article_and_one_line(tmp_path, sqlite_url, figures,
                                                            level):
    site = build_short_url_site()
    started = time.monotonic()
    result, _, base = crawl_served(site, sqlite_url, tmp_path,
                                   settings={"LOG_FILE": "/dev/full", "LOG_LEVEL": level})
    took = time.monotonic() - started
    assert result.returncode == 0, result.log[-3000:]
    stored = {r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")}
    expected = {base + str(a["url_path"]) for a in site.articles}
    assert stored == expected
    assert [r["status"] for r in rows(sqlite_url, "SELECT status FROM crawl_runs")] == ["ok"]
    said = [line for line in result.log.splitlines() if line.strip()]
    assert len(said) == 1, result.log[-3000:]
    assert "log cannot be written to /dev/full" in said[0] and "No space left" in said[0]
    if level == "INFO":
        figures.append({"fault": "disk full for the log (LOG_FILE=/dev/full: every write ENOSPC)",
                        "injected": 1, "survived": 1, "articles lost": len(expected - stored),
                        "duplicates": 0, "time to recover (s)": f"{took:.1f} (whole crawl)"})


def test_a_failed_crawl_with_an_unwritable_log_still_exits_failed(tmp_path, sqlite_url):
    site = build_short_url_site()
    result, _, _ = crawl_served(site, sqlite_url, tmp_path, path="/gone/index.html",
                                settings={"LOG_FILE": "/dev/full"})
    assert result.returncode == 1, result.log[-3000:]
    assert [r["status"] for r in rows(sqlite_url, "SELECT status FROM crawl_runs")] == ["failed"]
    assert len([line for line in result.log.splitlines() if line.strip()]) == 1
