"""A local spool for articles the database would not take before the crawl ended.

Why: an article that was downloaded and extracted must not be lost because a database outage
outlasted ``STORAGE_CLOSE_RETRIES``. Storage writes what it could not store to one JSONL file
per crawl process under ``STORAGE_SPOOL_DIR`` (fsynced), and the next crawl replays the spool
through the same writer before it stores anything else, so dedup decides as usual. A replayed
file is deleted only once all its items are stored; a half-written last line (the process was
killed while writing it) is skipped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
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


def write_spool(directory: str | Path, items: list[ArticleItem]) -> Path:
    """Append ``items`` to this process's spool file and fsync it (and the directory)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"spool-{int(datetime.now().timestamp() * 1000):015d}-{os.getpid()}.jsonl"
    with open(path, "a", encoding="utf-8") as handle:
        for item in items:
            handle.write(item_to_json(item) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


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
