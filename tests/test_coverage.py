"""Extraction health: each run's field coverage is recorded, and a drop raises the alarm."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.storage.engine import make_engine, upgrade_database
from crawler.storage.tables import crawl_runs, run_coverage, utcnow
from simulator.server import PortalSimulator
from tests.conftest import ROOT, run_crawl
from tests.test_cli_portal import portal


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_coverage_is_recorded_per_run_and_a_drop_fails_status(
        backend: str, simulator: PortalSimulator, portals_file: Path,
        request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    key = simulator.servers[0].site.key
    engine = make_engine(url)
    upgrade_database(engine)
    # Its recent history: runs whose articles all had an author (the old page template).
    with engine.begin() as conn:
        for days in (3, 2, 1):
            run_id = conn.execute(crawl_runs.insert().values(
                portal=key, trigger="schedule", started_at=utcnow() - timedelta(days=days),
                finished_at=utcnow() - timedelta(days=days), status="ok")
                .returning(crawl_runs.c.id)).scalar_one()
            conn.execute(run_coverage.insert().values(
                run_id=run_id, portal=key, articles=10, title=1.0, published_at=1.0, author=1.0,
                source=1.0, body=1.0, list_pages=2, article_links=10, yield_per_page=5.0,
                recorded_at=utcnow()))
    assert run_crawl(url, portals_file, f"portal={key}").returncode == 0
    with engine.connect() as conn:
        last = conn.execute(select(run_coverage).where(run_coverage.c.portal == key)
                            .order_by(run_coverage.c.run_id.desc())).first()
    engine.dispose()
    assert last.articles > 0 and last.title == 1.0 and last.body > 0.5
    assert last.yield_per_page and last.yield_per_page > 0
    # The simulator's pages carry no author: against a history of authors, that is an alarm.
    status = portal("status", url=url, portals_file=portals_file)
    assert status.returncode == 1, status.stdout
    (line,) = [x for x in status.stdout.splitlines() if x.startswith(key + " ")]
    assert "COVERAGE" in line and "author 1.00→0.00" in line
    scheduler = subprocess.run([sys.executable, "scheduler.py", "--status", "--database-url",
                                url, "--portals-file", str(portals_file)], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert scheduler.returncode == 1 and "author 1.00→0.00" in scheduler.stdout


def test_a_multi_portal_run_records_the_list_page_yield_of_each_portal(
        simulator: PortalSimulator, portals_file: Path, sqlite_url: str) -> None:
    assert run_crawl(sqlite_url, portals_file).returncode == 0  # every portal, one run
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        rows = {r.portal: r for r in conn.execute(select(run_coverage))}
    engine.dispose()
    assert set(rows) == {s.site.key for s in simulator.servers}
    for row in rows.values():
        assert row.list_pages and row.list_pages > 0, row
        assert row.yield_per_page == pytest.approx(row.article_links / row.list_pages)
    # Each portal its own yield, not the run's (the sample portals list 5, 4 and 5 per page).
    assert len({round(r.yield_per_page, 2) for r in rows.values()}) > 1
