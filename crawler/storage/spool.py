"""A local spool for articles the database would not take: during an outage, or at the end.

Why: an article that was downloaded and extracted must not be lost, nor held in memory, while
the database is away. Storage writes each batch it cannot store as one JSONL file under
``STORAGE_SPOOL_DIR``, and replays the files, oldest first, before it stores anything newer
(in this crawl once the database answers again, or in the next one), through the same writer,
so dedup decides as if they had been stored live. A file is written to a temporary name,
fsynced and then renamed, so a process killed while writing never leaves a half file that
looks complete; a replayed file is deleted only once all its items are stored.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.items import ArticleItem, Tag

logger = logging.getLogger(__name__)

_DATETIME_FIELDS = ("published_at", "fetched_at")


def item_to_json(item: ArticleItem) -> str:
    """One line: every field but the in-memory dedup fingerprint; datetimes as ISO 8601."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(item):
        if f.name == "fingerprint":
            continue  # recomputed by the writer's dedup index
        value = getattr(item, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif f.name == "tags":
            value = [dataclasses.asdict(tag) for tag in value]
        data[f.name] = value
    return json.dumps(data, ensure_ascii=False)


def item_from_json(line: str) -> ArticleItem:
    data = json.loads(line)
    known = {f.name for f in dataclasses.fields(ArticleItem)}
    data = {key: value for key, value in data.items() if key in known}
    for name in _DATETIME_FIELDS:
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    data["tags"] = [Tag(**tag) for tag in data.get("tags") or []]
    return ArticleItem(**data)


_sequence = itertools.count()
_name_lock = threading.Lock()
_last_ms = 0


def _next_name() -> str:
    """Names sort in the order the files were written: milliseconds (never going back in one
    process), pid, then a per-process sequence for files written in the same millisecond."""
    global _last_ms
    with _name_lock:
        _last_ms = max(_last_ms, int(time.time() * 1000))
        return f"spool-{_last_ms:015d}-{os.getpid()}-{next(_sequence):06d}.jsonl"


def write_spool(directory: str | Path, items: list[ArticleItem]) -> Path:
    """Write ``items`` as a new spool file: a temporary name, fsync, rename, fsync of the
    directory; only a complete file ever carries a spool name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = _next_name()
    path = directory / name
    temporary = directory / f".{name}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            for item in items:
                handle.write(item_to_json(item) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def count_items(path: Path) -> int:
    """Articles in one spool file (its non-empty lines)."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def spool_files(directory: str | Path) -> list[Path]:
    """Spool files oldest first (the name starts with the time it was written)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(directory.glob("spool-*.jsonl"))


def read_spool(path: Path) -> Iterator[ArticleItem]:
    """The items of one file in order; a line that does not parse (half-written) is skipped."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield item_from_json(line)
            except (ValueError, TypeError) as exc:
                logger.warning("spool: skipping unreadable line %d of %s (%s)", number, path, exc)
