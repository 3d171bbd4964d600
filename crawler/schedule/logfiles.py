"""Per-run log files of the child crawls, pruned so disk use stays bounded.

One file per run (``<logs>/<portal>/<UTC time>-run<id>.log``) is easy to find from a
``crawl_runs`` row; pruning after each run keeps the newest N per portal and a total size cap,
which a long-running service needs since nothing else rotates these files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from crawler.storage.tables import utcnow


def run_log_path(logs_dir: Path, portal: str, run_id: int, when: datetime | None = None) -> Path:
    stamp = (when or utcnow()).strftime("%Y%m%dT%H%M%S")
    return logs_dir / portal / f"{stamp}-run{run_id}.log"


def prune(logs_dir: Path, keep_per_portal: int, max_total_bytes: int) -> list[Path]:
    """Delete the oldest run logs beyond the per-portal count, then beyond the total size."""
    removed: list[Path] = []
    if not logs_dir.is_dir():
        return removed
    survivors: list[tuple[float, int, Path]] = []
    for portal_dir in (p for p in logs_dir.iterdir() if p.is_dir()):
        files = []
        for path in portal_dir.glob("*.log"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            files.append((stat.st_mtime, stat.st_size, path))
        files.sort(key=lambda f: (f[0], f[2].name), reverse=True)
        for entry in files[keep_per_portal:]:
            _unlink(entry[2], removed)
        survivors.extend(files[:keep_per_portal])
    survivors.sort(key=lambda f: (f[0], f[2].name), reverse=True)
    total = 0
    for index, (_mtime, size, path) in enumerate(survivors):
        total += size
        if total > max_total_bytes and index > 0:  # never the newest: it may be in use
            _unlink(path, removed)
    return removed


def _unlink(path: Path, removed: list[Path]) -> None:
    try:
        path.unlink()
        removed.append(path)
    except FileNotFoundError:
        pass
