"""The database away at the end of a crawl: nothing lost (spooled, replayed by the next run),
nothing duplicated, and a bounded wait rather than a hang."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy.exc import OperationalError

import crawler.storage.engine
from tests.test_pipeline_storage import count, feed, item, open_pipeline

N = 12


def _recover(url: str, spool_dir) -> float:
    started = time.monotonic()
    again = open_pipeline(url)
    feed(again, close=True)
    assert not list(spool_dir.glob("*.jsonl")), "a replayed spool file must be deleted"
    return time.monotonic() - started


def test_sqlite_locked_by_another_writer_past_the_busy_timeout(tmp_path, monkeypatch, figures):
    monkeypatch.setattr(crawler.storage.engine, "_SQLITE_BUSY_TIMEOUT", 0.2)
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    pipeline = open_pipeline(url, STORAGE_BATCH_SIZE=4, STORAGE_CLOSE_RETRY_DELAY=0.05)
    other = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock through the whole close
    started = time.monotonic()
    feed(pipeline, *(item(n) for n in range(N)), close=True)
    took = time.monotonic() - started
    other.execute("ROLLBACK")
    other.close()
    assert took < 10, "a locked database must give an error within the busy timeout"
    assert pipeline.stats.get_value("storage/spooled_items") == N
    recover = _recover(url, tmp_path / "spool")
    assert count(url, "SELECT count(*) FROM articles") == N
    assert count(url, "SELECT count(DISTINCT url) FROM articles") == N
    figures.append({"fault": "SQLite locked by another writer (whole close)", "injected": 1,
                    "survived": 1, "articles lost": 0, "duplicates": 0,
                    "time to recover (s)": f"{recover:.1f}"})


def test_disk_full_for_the_database_spools_the_articles(tmp_path, monkeypatch, figures):
    """ENOSPC simulated (no loop device or tmpfs can be mounted here): SQLite reports
    "database or disk is full" as an OperationalError on every write."""
    url = f"sqlite:///{tmp_path / 'full.db'}"
    pipeline = open_pipeline(url, STORAGE_BATCH_SIZE=5, STORAGE_CLOSE_RETRY_DELAY=0)
    feed(pipeline, item(100), item(101))  # stored before the disk filled up
    assert pipeline.engine is not None

    def full_begin():  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(pipeline.engine, "begin", full_begin)
    feed(pipeline, *(item(n) for n in range(N)), item(100), close=True)
    # The two buffered before (a batch is 5), the N new ones and the repeated URL.
    assert pipeline.stats.get_value("storage/spooled_items") == N + 3
    monkeypatch.undo()
    recover = _recover(url, tmp_path / "spool")
    assert count(url, "SELECT count(*) FROM articles") == N + 2
    figures.append({"fault": "disk full for the database (ENOSPC simulated)", "injected": 1,
                    "survived": 1, "articles lost": 0, "duplicates": 0,
                    "time to recover (s)": f"{recover:.1f}"})


def test_a_database_that_stays_away_for_good_loses_nothing_over_several_runs(tmp_path, figures):
    url = f"sqlite:///{tmp_path / 'away.db'}"
    spool = tmp_path / "spool"
    for run in range(3):  # three crawls; the database goes away after each one opened
        pipeline = open_pipeline(url, STORAGE_CLOSE_RETRY_DELAY=0)
        assert pipeline.engine is not None

        def gone():  # type: ignore[no-untyped-def]
            raise OperationalError("BEGIN", {}, Exception("connection refused"))

        pipeline.engine.begin = gone  # type: ignore[method-assign]
        feed(pipeline, *(item(run * N + n) for n in range(N)), item(0), close=True)
        assert pipeline.stats.get_value("storage/spooled_items") == N + 1
        # Nothing could be replayed: each run's spool waits beside the earlier ones.
        assert pipeline.stats.get_value("storage/spool_pending") == (run + 1) * (N + 1)
    recover = _recover(url, spool)
    assert count(url, "SELECT count(*) FROM articles") == 3 * N
    figures.append({"fault": "database away at the end of 3 runs in a row", "injected": 3,
                    "survived": 3, "articles lost": 0, "duplicates": 0,
                    "time to recover (s)": f"{recover:.1f}"})
