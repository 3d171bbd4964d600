"""Shared fixtures: the local portal simulator, throwaway databases, and a real crawl runner."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text

from simulator.server import PortalSimulator
from simulator.sites import build_all

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    "postgresql+psycopg://root@127.0.0.1:5432/postgres",
)

# Fast, deterministic crawls against 127.0.0.1: no politeness delays in tests.
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "DOWNLOAD_TIMEOUT": "5",
    "RETRY_TIMES": "1",
    "DOWNLOAD_MAXSIZE": "2000000",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    returncode: int
    log: str


def crawl_command(database_url: str, portals_file: Path | None, *args: str,
                  settings: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``scrapy crawl portal`` as a user runs it."""
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    env.pop("REDIS_URL", None)  # a test that wants the shared frontier says so
    if portals_file is not None:
        env["PORTALS_FILE"] = str(portals_file)
    command = [sys.executable, "-m", "scrapy", "crawl", "portal"]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    return command, env


def run_crawl(database_url: str, portals_file: Path | None, *args: str,
              settings: dict[str, str] | None = None, timeout: float = 120) -> CrawlResult:
    """Run ``scrapy crawl portal`` exactly as a user would, in a child process."""
    command, env = crawl_command(database_url, portals_file, *args, settings=settings)
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return CrawlResult(proc.returncode, proc.stderr + proc.stdout)


REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/9")


@dataclass
class RedisFrontier:
    """A Redis database for one test: its URL and a key prefix nothing else uses."""

    url: str
    prefix: str
    client: Any

    def crawl_keys(self) -> list[str]:
        return sorted(k.decode() for k in self.client.scan_iter(f"{self.prefix}:*"))

    def settings(self, **extra: str) -> dict[str, str]:
        return {"REDIS_URL": self.url, "FRONTIER_KEY_PREFIX": self.prefix,
                "FRONTIER_POLL_INTERVAL": "0.1", **extra}


@pytest.fixture
def redis_frontier() -> Iterator[RedisFrontier]:
    """Redis DB 9 (REDIS_TEST_URL) under a fresh key prefix, its keys deleted afterwards."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL} (start it to run this test)")
    frontier = RedisFrontier(REDIS_TEST_URL, f"test-{uuid.uuid4().hex[:10]}", client)
    try:
        yield frontier
    finally:
        for key in frontier.crawl_keys():
            client.delete(key)
        client.close()


@pytest.fixture
def simulator() -> Iterator[PortalSimulator]:
    with PortalSimulator(build_all()) as sim:
        yield sim


@pytest.fixture
def portals_file(simulator: PortalSimulator, tmp_path: Path) -> Path:
    return simulator.write_profiles(tmp_path / "portals.yaml")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """A fresh database on each backend in turn: SQLite, then PostgreSQL (skipped without it)."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("postgres_url"))


def _pg_admin_url() -> str | None:
    for url in PG_ADMIN_URLS:
        try:
            engine = create_engine(url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception:  # noqa: BLE001 - any failure means "not this role/server"
            continue
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database, dropped afterwards."""
    admin_url = _pg_admin_url()
    if admin_url is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432 (start it to run this test)")
    name = f"test_portal_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def project_crawler(spidercls: type | None = None, **settings: object) -> Crawler:
    """A crawler with the project's settings (crawler/settings.py) and these overrides; the
    reactor is left to the test run (get_crawler picks what is installed)."""
    import crawler.settings as ours

    values = {k: getattr(ours, k) for k in dir(ours) if k.isupper() and k != "TWISTED_REACTOR"}
    return get_crawler(spidercls, {**values, **settings})
