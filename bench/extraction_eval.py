"""Measure article extraction on real pages with ground truth, next to GNE and trafilatura.

Usage::

    python bench/extraction_eval.py [FOLDER] [--verbose] [--min-title 80 --min-body-f1 0.8 ...]

FOLDER defaults to ``../shared/real-pages/cwced-dev`` relative to the repository root and holds
``<id>.html`` (raw bytes) + ``<id>.json`` (truth). The pages are read in place, never copied.

Metric (all text first normalised: NFKC, every whitespace character removed):

- title: exact match of the normalised strings.
- time: the tool's time, read in Asia/Shanghai, equals the truth at the truth's precision (to
  the minute when the truth has minutes, else to the day / month / year it gives). When the
  truth is flagged ``publish_time_suspect`` its ``publish_time_alternative_derived`` is accepted
  too. Truth null: matched when the tool returns no time.
- author: the set of names (split on spaces, 、 , ，; /) equals the truth's set. Truth null:
  matched when the tool returns no author.
- source: ours is the end result of the pipeline -- extraction's raw byline/footer/meta handed
  to ``pipelines.attribution.attribute`` (the portal being unknown here, an original article
  has no source); GNE has none; trafilatura's ``sitename`` is what a user of it would take.
  Both sides go through the outlet alias table (``crawler/data/source_aliases.yaml``: 新华网
  and 新华社 are one outlet) for every tool alike. Match the truth or any of
  ``source_alternatives``; truth null: matched when the tool returns nothing.
- body: F1 of character bigrams (multiset overlap) between tool body and truth content; the
  mean over pages and the share of pages with F1 >= 0.9.
- ms/page: wall time of the extraction call only (decoding and file reading excluded; ours
  includes the attribution step), all tools fed the same text from
  :func:`crawler.extraction.decode_html`.

The ``--min-*`` options (and :func:`check_floors`) let a CI gate fail when our row drops.

Over 300 lines because the metric above, the three tools' adapters and the table are one
measurement; the metric functions are imported by the quality-gate test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from crawler.extraction import decode_html, extract_article, parse_dateline  # noqa: E402
from pipelines.attribution import aliases_for, attribute  # noqa: E402

ALIASES = aliases_for()

DEFAULT_FOLDER = Path(
    os.environ.get("REAL_PAGES_DIR") or REPO_ROOT.parent / "shared" / "real-pages" / "cwced-dev"
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIXED_NOW = datetime(2024, 6, 1, tzinfo=ZoneInfo("UTC"))

_SPACE = re.compile(r"\s+")
_NAME_SPLIT = re.compile(r"[\s、,，;；/]+")
_TRUTH_TIME = re.compile(
    r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:[ T](\d{1,2}):(\d{1,2})(?::\d{1,2})?)?$"
)


@dataclass
class Prediction:
    """What one tool said about one page, reduced to the compared fields."""

    title: str | None = None
    published: datetime | None = None
    author: str | None = None
    source: str | None = None
    body: str | None = None
    ms: float = 0.0


@dataclass
class Row:
    """One tool's aggregated scores (percentages, F1 in 0..1)."""

    tool: str
    pages: int = 0
    title: float = 0.0
    time: float = 0.0
    author: float = 0.0
    source: float = 0.0
    body_f1: float = 0.0
    body_share_090: float = 0.0
    ms_per_page: float = 0.0
    misses: list[str] = field(default_factory=list)


@dataclass
class Page:
    """One page of the corpus: decoded text and its truth."""

    name: str
    html: str
    truth: dict


def norm(text: str | None) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def bigram_f1(predicted: str | None, truth: str | None) -> float:
    """Character-bigram F1; robust to the dataset's inconsistent paragraph breaks."""
    a, b = norm(predicted), norm(truth)
    if not a and not b:
        return 1.0
    grams_a = Counter(a[i : i + 2] for i in range(len(a) - 1))
    grams_b = Counter(b[i : i + 2] for i in range(len(b) - 1))
    overlap = sum((grams_a & grams_b).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(grams_a.values())
    recall = overlap / sum(grams_b.values())
    return 2 * precision * recall / (precision + recall)


def _truth_parts(value: str) -> tuple[int, ...] | None:
    match = _TRUTH_TIME.match(value.strip())
    if not match:
        return None
    return tuple(int(g) for g in match.groups() if g is not None)


def time_matches(predicted: datetime | None, truth: dict) -> bool:
    values = [truth.get("publish_time")]
    if truth.get("publish_time_suspect") and truth.get("publish_time_alternative_derived"):
        values.append(truth["publish_time_alternative_derived"])
    parts_list = [p for v in values if v for p in [_truth_parts(v)] if p]
    if not parts_list:
        return predicted is None
    if predicted is None:
        return False
    local = predicted.astimezone(SHANGHAI)
    have = (local.year, local.month, local.day, local.hour, local.minute)
    return any(have[: len(parts)] == parts for parts in parts_list)


def names(text: str | None) -> frozenset[str]:
    cleaned = unicodedata.normalize("NFKC", text or "")
    return frozenset(n for n in _NAME_SPLIT.split(cleaned) if n)


def author_matches(predicted: str | None, truth: str | None) -> bool:
    return names(predicted) == names(truth)


def _outlet(name: str | None) -> str:
    """One spelling per outlet, as the pipeline stores it (alias table), normalised."""
    if not name:
        return ""
    return norm(ALIASES.canonical(name) or name)


def source_matches(predicted: str | None, truth: dict) -> bool:
    answers = [truth.get("source")] + list(truth.get("source_alternatives") or [])
    answers = [_outlet(a) for a in answers if a]
    if not answers:
        return not _outlet(predicted)
    return _outlet(predicted) in answers


def load_pages(folder: Path) -> list[Page]:
    pages = []
    for html_path in sorted(folder.glob("*.html")):
        truth_path = html_path.with_suffix(".json")
        if not truth_path.exists():
            continue
        text, _ = decode_html(html_path.read_bytes())
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        pages.append(Page(html_path.stem, text, truth))
    return pages


def _timed(call: Callable[[], Prediction | None]) -> Prediction:
    start = time.perf_counter()
    result = call()
    elapsed = (time.perf_counter() - start) * 1000
    prediction = result or Prediction()
    prediction.ms = elapsed
    return prediction


def ours(page: Page) -> Prediction:
    url = page.truth.get("url") or ""
    result = extract_article(page.html, url, now=FIXED_NOW)
    credit = attribute(result.byline_text, result.footer_text, result.body, result.meta,
                       None, ALIASES)
    return Prediction(
        result.title, result.published_at, credit.author, credit.source, credit.body
    )


def _gne_tool() -> Callable[[Page], Prediction] | None:
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run(page: Page) -> Prediction:
        try:
            out = extractor.extract(page.html)
        except Exception:  # noqa: BLE001 - a crashing baseline scores zero, it must not stop us
            return Prediction()
        when = parse_dateline(out.get("publish_time") or "", now=FIXED_NOW)
        return Prediction(out.get("title"), when, out.get("author"), None, out.get("content"))

    return run


def _trafilatura_tool() -> Callable[[Page], Prediction] | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(page: Page) -> Prediction:
        try:
            doc = trafilatura.bare_extraction(
                page.html, with_metadata=True, include_comments=False, as_dict=True
            )
        except Exception:  # noqa: BLE001
            return Prediction()
        if not doc:
            return Prediction()
        doc = doc if isinstance(doc, dict) else doc.as_dict()
        when = parse_dateline(doc.get("date") or "", now=FIXED_NOW)
        return Prediction(
            doc.get("title"), when, doc.get("author"), doc.get("sitename"), doc.get("text")
        )

    return run


def score(tool: str, run: Callable[[Page], Prediction], pages: Iterable[Page]) -> Row:
    row = Row(tool)
    hits = Counter()
    f1s: list[float] = []
    total_ms = 0.0
    for page in pages:
        pred = _timed(lambda page=page: run(page))
        truth = page.truth
        total_ms += pred.ms
        checks = {
            "title": norm(pred.title) == norm(truth.get("title")),
            "time": time_matches(pred.published, truth),
            "author": author_matches(pred.author, truth.get("author")),
            "source": source_matches(pred.source, truth),
        }
        f1 = bigram_f1(pred.body, truth.get("content"))
        f1s.append(f1)
        hits.update(k for k, ok in checks.items() if ok)
        bad = [k for k, ok in checks.items() if not ok] + (["body"] if f1 < 0.9 else [])
        if bad:
            row.misses.append(
                f"{page.name[:8]} {','.join(bad)} f1={f1:.2f} title={pred.title!r} "
                f"time={pred.published} author={pred.author!r} source={pred.source!r}"
            )
        row.pages += 1
    if row.pages:
        row.title, row.time = 100 * hits["title"] / row.pages, 100 * hits["time"] / row.pages
        row.author, row.source = 100 * hits["author"] / row.pages, 100 * hits["source"] / row.pages
        row.body_f1 = sum(f1s) / row.pages
        row.body_share_090 = 100 * sum(f >= 0.9 for f in f1s) / row.pages
        row.ms_per_page = total_ms / row.pages
    return row


def evaluate_ours(folder: Path = DEFAULT_FOLDER) -> Row:
    """Our row only: what the pytest quality gate calls."""
    return score("ours", ours, load_pages(folder))


FLOOR_FIELDS = ("title", "time", "author", "source", "body_f1", "body_share_090")


def check_floors(row: Row, floors: dict[str, float]) -> list[str]:
    """Return a message per field that is below its pinned floor (empty list: all good)."""
    return [
        f"{name}: {getattr(row, name):.3f} < floor {floor}"
        for name, floor in floors.items()
        if floor is not None and getattr(row, name) < floor
    ]


def format_table(rows: list[Row]) -> str:
    head = (
        f"{'tool':<12}{'pages':>6}{'title%':>8}{'time%':>7}{'author%':>9}{'source%':>9}"
        f"{'bodyF1':>8}{'F1>=.9%':>9}{'ms/page':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.tool:<12}{r.pages:>6}{r.title:>8.1f}{r.time:>7.1f}{r.author:>9.1f}"
            f"{r.source:>9.1f}{r.body_f1:>8.3f}{r.body_share_090:>9.1f}{r.ms_per_page:>9.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("-v", "--verbose", action="store_true", help="list per-page misses")
    parser.add_argument("--only-ours", action="store_true", help="skip GNE and trafilatura")
    for name in FLOOR_FIELDS:
        parser.add_argument(f"--min-{name.replace('_', '-')}", type=float, default=None)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"SKIP: page folder {args.folder} not found; nothing to evaluate.")
        return 0
    pages = load_pages(args.folder)
    if not pages:
        print(f"SKIP: no <id>.html + <id>.json pairs in {args.folder}.")
        return 0
    rows = [score("ours", ours, pages)]
    if not args.only_ours:
        warnings.filterwarnings("ignore")
        for tool, factory in (("gne", _gne_tool), ("trafilatura", _trafilatura_tool)):
            run = factory()
            if run is None:
                print(f"note: {tool} is not installed; its row is omitted.")
                continue
            rows.append(score(tool, run, pages))
    print(format_table(rows))
    if args.verbose:
        for row in rows:
            print(f"\n== {row.tool} misses ==")
            print("\n".join(row.misses))
    floors = {n: getattr(args, f"min_{n}") for n in FLOOR_FIELDS}
    failures = check_floors(rows[0], floors)
    for failure in failures:
        print(f"BELOW FLOOR {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
