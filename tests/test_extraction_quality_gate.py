"""Quality gate: our extractor on the real-page development set must not fall below floors.

Floors are pinned a little under the last measured values and only ever go up; lowering one
needs an explicit, explained change. GNE/trafilatura are not involved (not installed in CI).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
EVAL_SCRIPT = REPO / "bench" / "extraction_eval.py"
# REAL_PAGES_DIR: where CI keeps the dev set when the clone is not beside ../shared.
DEV_SET = Path(
    os.environ.get("REAL_PAGES_DIR") or REPO.parent / "shared" / "real-pages" / "cwced-dev"
)

# Measured (see bench/extraction_eval.py): title 94.3, time 88.6, author 80.0, source 88.6,
# body F1 0.933, share >= 0.9 88.6 on 35 pages. The source floor went from 91 to 86 when the
# metric changed from extraction's own guess (94.3) to what the pipeline stores: that guess
# passed through attribution and the outlet alias table, as issue 5 asks ("measure the end
# result"); author and body are the attribution pipeline's output too.
FLOORS = {
    "title": 91.0,
    "time": 85.0,
    "author": 77.0,
    "source": 86.0,
    "body_f1": 0.92,
    "body_share_090": 85.0,
}


def _load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_eval", EVAL_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the script look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not DEV_SET.is_dir(), reason=f"real-page development set not found at {DEV_SET}"
)
def test_extraction_quality_does_not_regress() -> None:
    evaluation = _load_eval()
    row = evaluation.evaluate_ours(DEV_SET)
    assert row.pages >= 30, f"expected the 35-page development set, found {row.pages} pages"
    failures = evaluation.check_floors(row, FLOORS)
    assert not failures, "\n".join(failures + row.misses)
