"""kill -9 and SIGTERM at seeded random moments, then plain runs: every article stored
exactly once, and no run left ``running``; on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
import signal
import time

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import run_crawl
from tests.test_crawl import rows
from tests.test_crawl_incremental import (
    ARTICLES,
    _count,
    _crawl_process,
    deep_portal,  # noqa: F401 -- fixture
    stored_urls,
)

KILLS = 5


@pytest.mark.faults_long
@pytest.mark.parametrize("stop_signal", [
    # The next crawl's start marks the row of a kill -9'd crawl 'failed' ("process gone"):
    # the recorder writes host and pid (crawler/runs/liveness.py).
    signal.SIGKILL,
    signal.SIGTERM,
], ids=["kill-9", "SIGTERM"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_crawls_stopped_at_random_moments_lose_and_duplicate_nothing(
    deep_portal, tmp_path, stop_signal, backend, request, figures  # noqa: F811
):
    sim, portals = deep_portal
    postgres = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    rng = random.Random(20 + int(stop_signal))
    survived, lost, duplicates, recover, left_running = 0, 0, 0, 0.0, 0
    for attempt in range(KILLS):
        if postgres is not None:
            database_url = postgres
            _empty(postgres)  # each attempt starts from an empty database, as on SQLite
        else:
            database_url = f"sqlite:///{tmp_path / f'k{attempt}.db'}"
        crawl = _crawl_process(database_url, portals, "max_pages=20")
        after = rng.randint(0, ARTICLES - 15)
        extra = rng.uniform(0, 0.5)
        deadline = time.monotonic() + 60
        while _count(database_url) < after and crawl.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(extra)
        crawl.send_signal(stop_signal)
        crawl.wait(timeout=60)
        started = time.monotonic()
        for _ in range(4):
            result = run_crawl(database_url, portals)
            assert result.returncode == 0, result.log[-3000:]
            if len(stored_urls(database_url)) == ARTICLES:
                break
        recover = max(recover, time.monotonic() - started)
        stored = stored_urls(database_url)
        lost += ARTICLES - len(stored)
        duplicates += sum(n - 1 for n in stored.values())
        running = rows(database_url, "SELECT id FROM crawl_runs WHERE status = 'running'")
        if len(stored) == ARTICLES and max(stored.values()) == 1 and not running:
            survived += 1
        left_running += len(running)
    figures.append({"fault": f"{signal.Signals(stop_signal).name} at random moments ({backend})"
                             + (f" ({left_running} runs left 'running')" if left_running else ""),
                    "injected": KILLS, "survived": survived, "articles lost": lost,
                    "duplicates": duplicates, "time to recover (s)": f"{recover:.1f}"})
    assert lost == 0 and duplicates == 0
    assert not left_running, "a killed run was left 'running'"


def _empty(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
