"""A crawl told to stop while a server hangs ends within seconds and keeps what it fetched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from simulator.server import PortalSimulator
from simulator.sites import build_gkong
from tests.conftest import ROOT, TEST_SETTINGS
from tests.test_crawl import rows


def test_sigterm_with_a_hanging_download_stores_the_batch_and_records_the_run(
    tmp_path: Path,
) -> None:
    site = build_gkong(n_articles=6, per_page=6)
    hung = str(site.articles[-1]["url_path"])
    site.pages[hung].hang = True
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    with PortalSimulator([site]) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        settings = {**TEST_SETTINGS, "DOWNLOAD_TIMEOUT": "120", "CRAWL_STOP_GRACE": "1",
                    "STORAGE_BATCH_SIZE": "50"}
        command = [sys.executable, "-m", "scrapy", "crawl", "portal"]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        log_path = tmp_path / "crawl.log"
        env = dict(os.environ, DATABASE_URL=db_url, PORTALS_FILE=str(portals),
                   PYTHONPATH=str(ROOT))
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            # Every other article fetched (and waiting in the storage batch), one hanging.
            while sum(sim.hits("gkong")[str(a["url_path"])] > 0 for a in site.articles) < 6:
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                assert proc.poll() is None, log_path.read_text()[-3000:]
                time.sleep(0.2)
            time.sleep(1.0)
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)  # DOWNLOAD_TIMEOUT is 120 s: only the bounded stop ends it sooner
            took = time.monotonic() - stopped_at
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log_text = log_path.read_text()
    assert took < 15, log_text[-3000:]
    assert "aborting 1 open download(s)" in log_text
    (run,) = rows(db_url, "SELECT * FROM crawl_runs")
    assert run["status"] == "killed" and run["finished_at"] is not None
    stored = {r["url"] for r in rows(db_url, "SELECT url FROM articles")}
    expected = {sim.base("gkong") + str(a["url_path"]) for a in site.articles[:-1]}
    assert stored == expected
