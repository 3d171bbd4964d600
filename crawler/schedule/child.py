"""One crawl in a child process: its own process group, a log file, a deadline and a kill.

A child process because Twisted's reactor cannot be restarted inside a long-lived process, and
because a crawl that leaks memory or hangs must not take the scheduler with it. Its own process
group (new session) so that the kill reaches anything the crawl started, and so that a Ctrl-C
in the scheduler's terminal does not hit the crawl before the scheduler decides to stop it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the crawl if the scheduler dies.

    Without it a crawl outlives a SIGKILLed scheduler (its own session hides it from the
    terminal and from cron), keeps crawling after the lease expires, and a second scheduler
    taking the lease over would crawl the same portal at the same time.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the scheduler died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    return hook


@dataclass(frozen=True)
class ChildResult:
    returncode: int
    killed_reason: str | None  # why the scheduler stopped it, None when it ended by itself
    signal_used: str | None  # SIGTERM, or SIGKILL when SIGTERM was not enough
    duration: float
    pid: int


def run_child(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float,
    kill_grace: float,
    stop_event: threading.Event,
    stop_grace: float,
    check: Callable[[], str | None] | None = None,
) -> ChildResult:
    """Run ``command`` to its end, or stop it on timeout, scheduler stop, or ``check``'s word.

    ``check`` runs every poll (the lease heartbeat) and returns a reason to stop the child.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=_die_with_parent_hook())
    started = time.monotonic()
    reason: str | None = None
    signal_used: str | None = None
    signalled_at = 0.0
    stop_seen_at: float | None = None
    while proc.poll() is None:
        now = time.monotonic()
        if reason is None:
            if now - started > timeout:
                reason = f"timeout after {timeout:g}s"
            elif stop_event.is_set():
                stop_seen_at = stop_seen_at if stop_seen_at is not None else now
                if now - stop_seen_at >= stop_grace:
                    reason = f"scheduler stopping (crawl not done {stop_grace:g}s after the stop)"
            elif check is not None:
                reason = check()
            if reason is not None:
                _signal_group(proc.pid, signal.SIGTERM)
                signal_used, signalled_at = "SIGTERM", now
        elif signal_used == "SIGTERM" and now - signalled_at >= kill_grace:
            _signal_group(proc.pid, signal.SIGKILL)
            signal_used = "SIGKILL"
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(POLL_SECONDS)
    if reason is not None:
        # Leftovers of the group (a grandchild that ignored SIGTERM) go too.
        _signal_group(proc.pid, signal.SIGKILL)
    return ChildResult(proc.returncode, reason, signal_used, time.monotonic() - started, proc.pid)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def last_line(path: Path, limit: int = 300) -> str:
    """The last non-empty line of a log, the first clue to why a crawl died."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 8192))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1][:limit] if lines else ""
