"""``scheduler.py --workers N``: a due portal's run as N crawl processes on the Redis frontier."""

from __future__ import annotations

import os
from pathlib import Path

from simulator.server import PortalSimulator
from simulator.sites import build_gkong
from tests.conftest import RedisFrontier
from tests.test_crawl import rows
from tests.test_scheduler import run_cli, scheduler_args, write_profiles


def test_a_run_with_workers_is_one_crawl_of_several_recorded_processes(
    tmp_path: Path, sqlite_url: str, redis_frontier: RedisFrontier
) -> None:
    with PortalSimulator([build_gkong(n_articles=24, per_page=6)], delay=0.05) as sim:
        portals = write_profiles(tmp_path / "portals.yaml", sim, {"interval": "1h"})
        args = scheduler_args(sqlite_url, portals, tmp_path / "logs", "--once", "--workers", "2")
        for name, value in redis_frontier.settings().items():
            args += ["-s", f"{name}={value}"]
        result = run_cli(*args[2:])
        hits = sim.hits("gkong")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    runs = rows(sqlite_url, "SELECT * FROM crawl_runs ORDER BY id")
    assert [(r["status"], r["trigger"], r["portal"]) for r in runs] == [("ok", "schedule",
                                                                         "gkong")] * 2
    assert len({r["crawl_id"] for r in runs}) == 1 and len({r["pid"] for r in runs}) == 2
    assert sum(int(r["items_new"]) for r in runs) == 24
    assert all(n == 1 for path, n in hits.items() if path.startswith("/news/"))
    assert redis_frontier.crawl_keys() == []


def test_workers_above_one_need_redis(tmp_path: Path, sqlite_url: str) -> None:
    portals = write_profiles(tmp_path / "portals.yaml", None, None)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    result = run_cli(*scheduler_args(sqlite_url, portals, tmp_path / "logs", "--once",
                                     "--workers", "2")[2:], env=env)
    assert result.returncode == 2
    assert "--workers above 1 needs REDIS_URL" in result.stderr
