"""``make demo`` as a newcomer runs it: its own database, nothing left running, next steps."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_demo_uses_its_own_database_leaves_nothing_running_and_says_what_next(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = dict(os.environ, DEMO_DATABASE_URL=url, DATABASE_URL="garbage-not-used")
    result = subprocess.run([sys.executable, "-m", "simulator.demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "demo.db").exists()
    out = result.stdout
    for command in ("portal report -o report.html", "portal search ", f"export DATABASE_URL={url}",
                    "SELECT portal, count(*) FROM articles", "python -m simulator.server"):
        assert command in out, out[-2000:]
    for port in re.findall(r"sample portal .* at http://127\.0\.0\.1:(\d+)/", out):
        with socket.socket() as sock:  # the sample portals stopped with the demo
            assert sock.connect_ex(("127.0.0.1", int(port))) != 0
