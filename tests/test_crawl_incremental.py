"""Incremental runs lose nothing: a run after an interrupted or shallow one closes the gap.

The simulated 工控网 here lists 60 articles, 6 per list page (10 list pages). Whatever stopped
a run early (a page limit, kill -9, SIGTERM), plain runs afterwards store every article
exactly once, and a section is only reported caught up when it really is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from simulator.server import PortalSimulator
from simulator.sites import build_gkong
from tests.conftest import ROOT, TEST_SETTINGS, run_crawl
from tests.test_crawl import rows

ARTICLES, PER_PAGE = 60, 6


@pytest.fixture
def deep_portal(tmp_path: Path):
    with PortalSimulator([build_gkong(n_articles=ARTICLES, per_page=PER_PAGE)]) as sim:
        yield sim, sim.write_profiles(tmp_path / "portals.yaml")


def stored_urls(url: str) -> Counter[str]:
    return Counter(r["url"] for r in rows(url, "SELECT url FROM articles"))


def assert_all_stored_once(sim: PortalSimulator, url: str) -> None:
    stored = stored_urls(url)
    expected = {sim.base("gkong") + str(a["url_path"]) for a in sim.sites[0].articles}
    missing = expected - set(stored)
    assert not missing, f"{len(missing)} of {len(expected)} articles never stored"
    assert set(stored) == expected
    assert max(stored.values()) == 1


def walk_state(url: str) -> dict[str, object]:
    (row,) = rows(url, "SELECT caught_up, resume_depth FROM section_walks")
    return row


def test_a_shallow_first_run_is_continued_by_the_next_plain_runs(deep_portal, sqlite_url):
    sim, portals = deep_portal
    first = run_crawl(sqlite_url, portals, "max_pages=2")
    assert first.returncode == 0, first.log[-3000:]
    assert len(stored_urls(sqlite_url)) == 2 * PER_PAGE
    assert "is not caught up: the page limit (2) was reached" in first.log
    assert walk_state(sqlite_url) == {"caught_up": 0, "resume_depth": 2}

    # Plain runs (default limit 5 list pages): each goes on where the last one stopped.
    for _ in range(3):
        result = run_crawl(sqlite_url, portals)
        assert result.returncode == 0, result.log[-3000:]
    assert_all_stored_once(sim, sqlite_url)
    assert walk_state(sqlite_url) == {"caught_up": 1, "resume_depth": 0}
    # Once caught up, a run reads the first list pages only, and downloads no article.
    hits_before = sum(sim.servers[0].hits.values())
    quiet = run_crawl(sqlite_url, portals)
    assert "walk ends at page 2 (caught up" in quiet.log
    assert "not caught up" not in quiet.log
    assert sum(sim.servers[0].hits.values()) - hits_before == 2 + 1  # two list pages, robots


def _crawl_process(database_url: str, portals: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
               PORTALS_FILE=str(portals))
    command = [sys.executable, "-m", "scrapy", "crawl", "portal"]
    settings = {**TEST_SETTINGS, "CONCURRENT_REQUESTS": "2", "STORAGE_BATCH_SIZE": "4",
                "DOWNLOAD_DELAY": "0.02"}
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)


def _count(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM articles")).scalar_one())
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0
    finally:
        engine.dispose()


# Two moments here; the fault suite kills and stops crawls at many more.
@pytest.mark.parametrize(("stop_signal", "after"), [(signal.SIGKILL, 25), (signal.SIGTERM, 15)])
def test_runs_after_an_interrupted_one_store_every_article_exactly_once(
    deep_portal, tmp_path, stop_signal, after
):
    sim, portals = deep_portal
    database_url = f"sqlite:///{tmp_path / 'interrupted.db'}"
    crawl = _crawl_process(database_url, portals, "max_pages=20")
    deadline = time.monotonic() + 60
    while _count(database_url) < after and crawl.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    crawl.send_signal(stop_signal)
    crawl.wait(timeout=60)
    interrupted_with = _count(database_url)
    assert interrupted_with < ARTICLES, "the crawl ended before it could be interrupted"

    for _ in range(3):  # plain runs, as the scheduler would start them
        result = run_crawl(database_url, portals)
        assert result.returncode == 0, result.log[-3000:]
        if len(stored_urls(database_url)) == ARTICLES:
            break
    assert_all_stored_once(sim, database_url)
    assert walk_state(database_url)["caught_up"] == 1
    # Every article page was downloaded at most twice: once by the interrupted run (perhaps
    # not stored) and once after; stored ones are never fetched again.
    article_hits = [n for path, n in sim.servers[0].hits.items() if "/2024/" in path]
    assert max(article_hits) <= 2
