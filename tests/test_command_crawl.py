"""``scrapy crawl portal`` as cron and systemd see it: exit codes and one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.storage.engine import make_engine, upgrade_database
from crawler.storage.tables import crawl_runs as runs
from crawler.storage.tables import utcnow
from tests.conftest import ROOT, run_crawl


def one_line_error(result_log: str) -> str:
    lines = [line for line in result_log.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result_log[-3000:]
    assert "Traceback" not in result_log
    return lines[0]


@pytest.mark.parametrize(("argument", "expected"), [
    ("max_page=1", "did you mean -a max_pages=N?"),
    ("portals=gongkong", "did you mean -a portal=KEY[,KEY]?"),
    ("max_pages=lots", "is not a whole number"),
    ("portal=nosuch", "portals[nosuch]: no such portal"),
])
def test_bad_spider_argument_is_one_line_and_exit_2(sqlite_url: str, argument: str,
                                                   expected: str) -> None:
    result = run_crawl(sqlite_url, None, argument, timeout=60)
    assert result.returncode == 2
    line = one_line_error(result.log)
    assert line.startswith("scrapy crawl portal: invalid configuration: ")
    assert expected in line


@pytest.mark.parametrize(("url", "expected"), [
    ("garbage", "is not a database URL"),
    ("mysql://crawler:secret@db.example.com/portal", "uses mysql, which this crawler does not"),
])
def test_bad_database_url_is_one_line_and_exit_2_in_crawl_and_scheduler(
        tmp_path: Path, url: str, expected: str) -> None:
    crawl = run_crawl(url, None, timeout=60)
    assert crawl.returncode == 2
    assert expected in one_line_error(crawl.log)
    assert "secret" not in crawl.log
    for mode in ("--once", "--status", "--list"):
        scheduler = subprocess.run([sys.executable, "scheduler.py", mode], cwd=ROOT,
                                   env=dict(os.environ, DATABASE_URL=url),
                                   capture_output=True, text=True, timeout=60)
        assert scheduler.returncode == 2, scheduler.stderr
        assert expected in one_line_error(scheduler.stderr + scheduler.stdout)


def test_broken_profile_file_is_one_line_and_exit_2(sqlite_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "portals.yaml"
    broken.write_text("portals: [\n", encoding="utf-8")
    result = run_crawl(sqlite_url, broken, timeout=60)
    assert result.returncode == 2
    assert "invalid YAML" in one_line_error(result.log)


def test_unreachable_database_is_one_line_and_a_failed_exit() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_crawl(f"postgresql://nobody@127.0.0.1:{port}/portal", None, timeout=60)
    assert result.returncode == 1
    line = one_line_error(result.log)
    assert line.startswith("scrapy crawl portal: database unavailable, crawl not started:")


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_failed_crawl_exits_1_and_marks_runs_of_dead_processes(
        backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    engine = make_engine(url)
    upgrade_database(engine)
    host = socket.gethostname()
    started = utcnow()  # after this test process started: its row is really its own
    with engine.begin() as conn:
        ids = [conn.execute(runs.insert().values(
            portal=portal, trigger="manual", started_at=started, status="running", host=host,
            pid=pid).returning(runs.c.id)).scalar_one()
            for portal, pid in [("killed-9", _dead_pid()), ("alive", os.getpid()),
                                ("other-host", 1)]]
        conn.execute(runs.update().where(runs.c.id == ids[2]).values(host="elsewhere"))
    # A section whose host refuses connections: the run fails, and the exit code says so.
    result = run_crawl(url, None, "url=http://127.0.0.1:1/news/", timeout=60)
    assert result.returncode == 1, result.log[-3000:]
    with engine.connect() as conn:
        rows = {r.portal: r for r in conn.execute(select(runs))}
    engine.dispose()
    assert (rows["killed-9"].status, rows["killed-9"].message) == ("failed", "process gone")
    assert rows["alive"].status == "running"  # this test process still runs
    assert rows["other-host"].status == "running"  # not our pids to judge
    crawl = rows["127.0.0.1:1"]  # a url-only crawl is keyed by host and port
    assert crawl.status == "failed" and crawl.host == host and crawl.pid


def test_scheduler_start_marks_runs_of_dead_processes(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    upgrade_database(engine)
    with engine.begin() as conn:
        run_id = conn.execute(runs.insert().values(
            portal="gongkong,ca800", trigger="manual", started_at=utcnow(), status="running",
            host=socket.gethostname(), pid=_dead_pid()).returning(runs.c.id)).scalar_one()
    empty = tmp_path / "portals.yaml"
    empty.write_text("portals: []\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "scheduler.py", "--once", "--portals-file",
                             str(empty), "--database-url", sqlite_url], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    with engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).one()
    engine.dispose()
    assert (row.status, row.message) == ("failed", "process gone")
