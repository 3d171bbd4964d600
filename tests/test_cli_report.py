"""``portal report`` after a real crawl: one self-contained page, its charts drawn by Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_crawl
from tests.test_cli_portal import portal

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHARTS = 5  # per day, reprint sources, network, tags over time, crawl health


def test_report_is_one_offline_page_whose_charts_render_without_console_errors(
        portals_file: Path, sqlite_url: str, tmp_path: Path) -> None:
    assert run_crawl(sqlite_url, portals_file).returncode == 0
    out = tmp_path / "report.html"
    result = portal("report", "-o", str(out), url=sqlite_url)
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == CHARTS
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched: it opens offline
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): page not rendered")
    browser = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=15000", "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120)
    dom = browser.stdout
    assert dom.count('class="main-svg"') >= CHARTS, browser.stderr[-2000:]  # plotly drew them
    console = [line for line in browser.stderr.splitlines() if "CONSOLE" in line
               and ("Error" in line or "Uncaught" in line)]
    assert not console, console
