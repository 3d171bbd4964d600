"""The figures table: each fault test adds a row; printed at the end of the session and
written to ``data/faults-table.md`` (the README's "Faults" table comes from it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT

FIGURES: list[dict[str, object]] = []
COLUMNS = ("fault", "injected", "survived", "articles lost", "duplicates", "time to recover (s)")


@pytest.fixture
def figures() -> list[dict[str, object]]:
    return FIGURES


def table() -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in FIGURES:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in COLUMNS) + " |")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if not FIGURES:
        return
    terminalreporter.write_line("\nFaults\n" + table())
    out = Path(ROOT) / "data" / "faults-table.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table() + "\n", encoding="utf-8")
