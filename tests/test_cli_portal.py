"""The ``portal`` command as analysts use it, after a real crawl, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from alembic import command
from sqlalchemy import text

from crawler.storage.engine import alembic_config, make_engine, upgrade_database
from tests.conftest import ROOT, run_crawl

PORTAL = ROOT / ".venv" / "bin" / "portal"


def portal(*args: str, url: str, portals_file: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url)
    if portals_file is not None:
        env["PORTALS_FILE"] = str(portals_file)
    return subprocess.run([str(PORTAL), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_search_export_runs_and_status_after_a_crawl(
        backend: str, portals_file: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    assert run_crawl(url, portals_file).returncode == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
        # A story several portals carry: its title text, and how many rows hold it.
        original, title, copies = conn.execute(text(
            "SELECT o.id, o.title, count(*) FROM articles o JOIN articles c "
            "ON c.duplicate_of = o.id GROUP BY o.id, o.title ORDER BY count(*) DESC")).first()
    engine.dispose()
    query = title[:6]
    found = portal("search", query, url=url)
    assert found.returncode == 0, found.stderr
    ids = [int(line.split()[0]) for line in found.stdout.splitlines() if line[:6].strip().isdigit()]
    assert ids and len(ids) == len(set(ids))  # each story once
    assert original in ids and f"[{copies + 1} copies]" in found.stdout
    assert portal("search", query, "--since", "2099-01-01", url=url).stdout == ""

    jsonl = portal("export", "--format", "jsonl", url=url)
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(rows) == total and {"title", "body", "duplicate_of"} <= set(rows[0])
    exported = portal("export", "--format", "csv", url=url).stdout
    csv_rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(csv_rows) == total
    out = tmp_path / "articles.parquet"
    assert portal("export", "--format", "parquet", "-o", str(out), url=url).returncode == 0
    assert pq.read_table(out).num_rows == total

    runs = portal("runs", "--last", "5", url=url)
    assert runs.returncode == 0 and " ok " in runs.stdout
    status = portal("status", url=url, portals_file=portals_file)
    assert status.returncode == 0 and "NEVER RUN" not in status.stdout, status.stdout


def test_search_index_is_backfilled_and_kept_current_by_triggers(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade_database(engine, "0005")  # a database from before the search index
    insert = text("INSERT INTO articles (url, portal, title, body, is_reprint, first_seen_at, "
                  "last_seen_at) VALUES (:u, 'p', :t, :b, 0, '2026-12-01 00:00:00', "
                  "'2026-12-01 00:00:00')")
    with engine.begin() as conn:
        conn.execute(insert, {"u": "http://a/1", "t": "旧文章", "b": "变频器节能改造项目"})
    engine.dispose()
    assert "旧文章" in portal("search", "节能改造", url=sqlite_url).stdout  # upgraded + backfilled
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(insert, {"u": "http://a/2", "t": "新文章", "b": "伺服电机国产化"})
        conn.execute(text("UPDATE articles SET body = '已删改' WHERE url = 'http://a/1'"))
    engine.dispose()
    assert "新文章" in portal("search", "伺服电机", url=sqlite_url).stdout
    assert portal("search", "节能改造", url=sqlite_url).stdout == ""


def test_the_search_index_merges_eight_segments_at_a_time_and_stays_whole(
    sqlite_url: str,
) -> None:
    """Migration 0008: cheaper indexing for a crawl that writes all day (fewer rewrites of each
    trigram), and every article still found, first batch and last, through many segments."""
    engine = make_engine(sqlite_url)
    upgrade_database(engine)
    automerge = text("SELECT v FROM articles_fts_config WHERE k = 'automerge'")
    insert = text("INSERT INTO articles (url, portal, title, body, is_reprint, first_seen_at, "
                  "last_seen_at) VALUES (:u, 'p', :t, :b, 0, '2026-12-01 00:00:00', "
                  "'2026-12-01 00:00:00')")
    with engine.begin() as conn:
        assert conn.execute(automerge).scalar_one() == 8
    for batch in range(40):  # a transaction per storage batch: a new segment each time
        with engine.begin() as conn:
            conn.execute(insert, [{"u": f"http://a/{batch}/{k}", "t": f"第{batch}批{k}号",
                                   "b": f"批次{batch:03d}的伺服电机报道{k}"} for k in range(5)])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')"))
    engine.dispose()
    assert "第0批" in portal("search", "批次000", url=sqlite_url).stdout
    assert "第39批" in portal("search", "批次039", url=sqlite_url).stdout
    engine = make_engine(sqlite_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        assert conn.execute(automerge).scalar_one() == 4  # FTS5's own default again
    engine.dispose()


def test_bad_database_url_is_one_line_and_exit_2() -> None:
    result = portal("runs", url="garbage")
    assert result.returncode == 2
    assert result.stderr.startswith("portal: invalid configuration: DATABASE_URL 'garbage'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_shows_field_by_field_what_a_profile_extracts_live(
        simulator: object, portals_file: Path) -> None:
    key = simulator.servers[0].site.key  # type: ignore[attr-defined]
    result = portal("check", key, url="sqlite://", portals_file=portals_file)
    assert result.returncode == 0, result.stderr
    assert re.search(r"list page: [1-9]\d* article links \(generic rules\)", result.stdout)
    for field in ("title", "published_at", "source", "body"):
        assert re.search(rf"^  {field} +\S", result.stdout, re.M), result.stdout
    unknown = portal("check", "nosuch", url="sqlite://", portals_file=portals_file)
    assert unknown.returncode == 2 and "portals[nosuch]: no such portal" in unknown.stderr
