"""Runs whose process is gone: ``running`` rows of this host that no live process owns.

A crawl killed with SIGKILL (OOM killer, ``kill -9``, a reboot) cannot write its end, and its
row would say ``running`` forever: ``--status`` would call the portal healthy and reports would
count a run that does not exist. Every crawl and scheduler start therefore checks the rows of
its own host (the only pids it can see): when the pid no longer exists, or belongs to a
process started well after the run started (the pid was reused), the row becomes ``failed``
with the message "process gone".
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

import psutil
from sqlalchemy import Engine, select, update

from crawler.storage.tables import crawl_runs as runs
from crawler.storage.tables import utcnow

MESSAGE = "process gone"
# A scheduled run's row is created just before its child process starts (the child writes its
# pid later), so the owner may start a little after started_at; a reused pid starts much later.
START_SLACK_SECONDS = 120.0


def this_host() -> str:
    return socket.gethostname()


def identity() -> dict[str, object]:
    """``host``/``pid`` values for the row of the current process."""
    return {"host": this_host(), "pid": os.getpid()}


def owner_alive(pid: int, started_at: datetime) -> bool:
    """Whether the process that wrote ``pid`` into a row started at ``started_at`` still runs."""
    try:
        process = psutil.Process(pid)
        created = process.create_time()
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # it exists; we cannot tell more
    return created <= started_at.timestamp() + START_SLACK_SECONDS


def mark_gone_runs(engine: Engine, host: str | None = None) -> list[int]:
    """Mark this host's ``running`` rows whose process is gone as ``failed``; return their ids."""
    host = host or this_host()
    with engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.id, runs.c.pid, runs.c.started_at)
            .where(runs.c.status == "running", runs.c.host == host, runs.c.pid.is_not(None))
        ).all()
    gone = [r.id for r in rows if r.pid != os.getpid() and not owner_alive(r.pid, r.started_at)]
    if gone:
        with engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id.in_(gone), runs.c.status == "running")
                         .values(status="failed", finished_at=utcnow(), message=MESSAGE))
    return gone
