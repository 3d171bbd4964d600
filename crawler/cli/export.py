"""``portal export``: articles streamed to JSON lines or CSV, or collected into Parquet."""

from __future__ import annotations

import csv
import json
import sys
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine

from crawler.cli.queries import EXPORT_COLUMNS, export_rows


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_export(engine: Engine, fmt: str, since: datetime | None, portal: str | None,
                 output: Path | None) -> int:
    rows = export_rows(engine, portal, since)
    if fmt == "parquet":
        assert output is not None
        return _parquet(rows, output)
    handle: Any = (output.open("w", encoding="utf-8", newline="") if output  # noqa: SIM115 - closed below
                   else nullcontext(sys.stdout))
    with handle as out:
        return _jsonl(rows, out) if fmt == "jsonl" else _csv(rows, out)


def _jsonl(rows: Any, out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
        count += 1
    return count


def _csv(rows: Any, out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: _plain(v) for k, v in row.items()})
        count += 1
    return count


def _parquet(rows: Any, output: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [{k: _plain(v) for k, v in row.items()} for row in rows]
    columns = {c: [r[c] for r in records] for c in EXPORT_COLUMNS}
    columns["is_reprint"] = [None if v is None else bool(v) for v in columns["is_reprint"]]
    pq.write_table(pa.table(columns), output)
    return len(records)
