"""Shared fixtures: the local portal simulator, throwaway databases, and a real crawl runner."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def run_crawl(database_url: str, portals_file: Path | None, *args: str,
              settings: dict[str, str] | None = None, timeout: float = 120) -> CrawlResult:
    """Run ``scrapy crawl portal`` exactly as a user would, in a child process."""
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    if portals_file is not None:
        env["PORTALS_FILE"] = str(portals_file)
    command = [sys.executable, "-m", "scrapy", "crawl", "portal"]
    for name, value in {**TEST_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for arg in args:
        command += ["-a", arg]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return CrawlResult(proc.returncode, proc.stderr + proc.stdout)


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
