"""What an operator reads at INFO, through the real ``scrapy crawl portal`` against the simulator:
a start line, one line per list page, one summary line, no banner, no warning on a clean crawl,
and one ERROR line for a host that is down however many of its pages fail."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from crawler.extensions.progress import eta_seconds, safe_database_url
from simulator.server import PortalSimulator
from simulator.sites import build_all
from tests.conftest import run_crawl

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(?P<logger>[\w.]+)\] (?P<level>[A-Z]+): ")
BANNER = ("Overridden settings", "Enabled extensions", "Enabled downloader middlewares",
          "Enabled item pipelines", "Versions:", "Dumping Scrapy stats", "Telnet",
          "Crawled 0 pages (at 0 pages/min)", "Spider closed")


def records(log: str) -> list[tuple[str, str, str]]:
    """(level, logger, line) of each log record; continuation lines belong to none."""
    return [(m["level"], m["logger"], line) for line in log.splitlines()
            if (m := LINE.match(line))]


@pytest.fixture
def clean_sites(tmp_path: Path) -> Iterator[tuple[PortalSimulator, Path]]:
    """The sample portals as ``make demo`` serves them: no fault pages."""
    with PortalSimulator(build_all(faults=False)) as sim:
        yield sim, sim.write_profiles(tmp_path / "portals.yaml")


def test_clean_crawl_is_a_start_line_list_pages_and_one_summary(
        clean_sites: tuple[PortalSimulator, Path], sqlite_url: str) -> None:
    _, portals_file = clean_sites
    result = run_crawl(sqlite_url, portals_file)
    assert result.returncode == 0, result.log[-3000:]
    lines = records(result.log)
    assert len(lines) == len(result.log.strip().splitlines())  # no multi-line dumps
    assert [level for level, _, _ in lines if level != "INFO"] == [], result.log
    for banner in BANNER:
        assert banner not in result.log, banner
    assert "crawl started (run 1): gkong [行业动态], autonet [行业资讯], drive [行业新闻]; " \
           f"database {sqlite_url}" in lines[0][2]
    summaries = [line for _, _, line in lines if "crawl finished" in line]
    assert len(summaries) == 1 and summaries[0] == lines[-1][2]
    summary = re.search(r"crawl finished \(run 1\): status=ok, (\d+) pages \((\d+) list\), "
                        r"stored (\d+) new / 0 updated / 0 duplicate, 0 failed, [\d.]+s$",
                        summaries[0])
    assert summary, summaries[0]
    list_lines = [line for _, _, line in lines if " list page " in line]
    assert len(list_lines) == int(summary[2]) == 8
    assert all(re.search(r"list page (gkong|autonet|drive) / \S+, page \d+: \d+ article links, "
                         r"\d+ new \(http://127\.0\.0\.1:\d+/", x) for x in list_lines)
    # Besides those: a walk-end line per section and robots.txt's one forbidden link.
    assert len(lines) == 1 + len(list_lines) + 3 + 1 + 1, result.log
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        pages, new = conn.execute(text("SELECT pages, items_new FROM crawl_runs")).one()
    engine.dispose()
    assert (pages, new) == (int(summary[1]), int(summary[3]))


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


def test_an_unreachable_host_is_one_error_line_and_still_counted(
        clean_sites: tuple[PortalSimulator, Path], sqlite_url: str, tmp_path: Path) -> None:
    _, portals_file = clean_sites
    profiles = yaml.safe_load(portals_file.read_text())
    dead = f"http://127.0.0.1:{_dead_port()}"
    profiles["portals"].append({"key": "down", "name": "停机网", "sections": [
        {"name": "新闻", "url": f"{dead}/news/"}, {"name": "企业", "url": f"{dead}/company/"}]})
    with_dead = tmp_path / "with-dead.yaml"
    with_dead.write_text(yaml.safe_dump(profiles, allow_unicode=True))
    result = run_crawl(sqlite_url, with_dead)
    assert result.returncode == 0, result.log[-3000:]  # the other portals were crawled
    lines = records(result.log)
    errors = [line for level, _, line in lines if level == "ERROR"]
    assert len(errors) == 1, result.log
    assert f"{dead}/" in errors[0] and "connection refused" in errors[0]
    assert f"host 127.0.0.1:{dead.rsplit(':', 1)[1]} unreachable" in errors[0]
    assert [line for level, _, line in lines if level == "WARNING"] == [], result.log
    assert "2 failed" in lines[-1][2] and "status=ok" in lines[-1][2]
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        errors_recorded = conn.execute(text("SELECT errors FROM crawl_runs")).scalar_one()
    engine.dispose()
    assert errors_recorded == 2  # both sections' list pages, though logged once


def test_progress_lines_every_interval_with_rate_and_eta(sqlite_url: str,
                                                          tmp_path: Path) -> None:
    with PortalSimulator(build_all(faults=False), delay=0.2) as sim:
        portals_file = sim.write_profiles(tmp_path / "portals.yaml")
        result = run_crawl(sqlite_url, portals_file, settings={
            "PROGRESS_INTERVAL": "0.5", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    assert result.returncode == 0, result.log[-3000:]
    progress = [line for _, _, line in records(result.log) if "progress:" in line]
    assert progress, result.log
    assert all(re.search(r"progress: \d+ pages \(\d+ list\), \d+ articles extracted, stored \d+ "
                         r"new / \d+ updated / \d+ duplicate, \d+ failed; [\d.]+ pages/s", x)
               for x in progress), progress
    assert any(re.search(r"; ETA [\d.]+s \(at most \d+ list pages left\)$", x) for x in progress)


def test_database_password_is_never_logged() -> None:
    shown = safe_database_url("postgresql+psycopg://crawler:s3cret@db.example:5432/portal")
    assert "s3cret" not in shown and shown.startswith("postgresql+psycopg://crawler:***@db")
    assert safe_database_url("sqlite:///data/portal.db") == "sqlite:///data/portal.db"


def test_eta_counts_queued_requests_and_list_pages_still_to_come() -> None:
    stats = {"portal/list_pages": 2, "portal/article_links": 10, "portal/article_links_known": 2}
    # 4 queued + 3 list pages to come, each bringing itself and 4 new articles: 19 at 2/s.
    assert eta_seconds(stats, queued=4, lists_left=3, rate=2.0) == pytest.approx(9.5)
    assert eta_seconds(stats, queued=4, lists_left=None, rate=2.0) is None  # unknown bound
    assert eta_seconds(stats, queued=4, lists_left=3, rate=0.0) is None  # stalled
