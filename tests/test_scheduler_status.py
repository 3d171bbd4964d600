"""``scheduler.py --status`` after plain crawls, and ``--once``'s one-line summary."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.server import PortalSimulator
from tests.conftest import ROOT, run_crawl


def scheduler(*args: str, database_url: str, portals_file: Path,
              tty: bool = False) -> tuple[int, str]:
    env = dict(os.environ, DATABASE_URL=database_url, PORTALS_FILE=str(portals_file),
               SCHEDULER_LOGS_DIR=str(portals_file.parent / "logs"))
    command = [sys.executable, "scheduler.py", *args]
    if not tty:
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=180)
        return proc.returncode, proc.stdout + proc.stderr
    master, slave = pty.openpty()
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=slave,
                          stderr=subprocess.DEVNULL) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=180)
    os.close(master)
    return code, b"".join(chunks).decode()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_status_counts_a_crawl_of_several_portals_for_each(
        backend: str, simulator: PortalSimulator, portals_file: Path,
        request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    assert run_crawl(url, portals_file, "max_pages=1").returncode == 0
    code, out = scheduler("--status", database_url=url, portals_file=portals_file)
    assert code == 0, out
    assert "NEVER RUN" not in out
    keys = [s.site.key for s in simulator.servers]
    for key in keys:
        (line,) = [x for x in out.splitlines() if x.startswith(key + " ")]
        assert line.split()[3] == "ok" and line.endswith(f"of {','.join(keys)})"), line


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "cron"])
def test_once_prints_a_one_line_summary_on_success(
        tty: bool, simulator: PortalSimulator, portals_file: Path, sqlite_url: str) -> None:
    key = simulator.servers[0].site.key
    code, out = scheduler("--once", "--portal", key, "-s", "AUTOTHROTTLE_ENABLED=0",
                          "-s", "DOWNLOAD_DELAY=0", database_url=sqlite_url,
                          portals_file=portals_file, tty=tty)
    assert code == 0, out
    assert out.strip() == "once: 1 ok, 0 failed/killed, 0 skipped"
