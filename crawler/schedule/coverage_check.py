"""Is a portal's extraction worse than usual? Its last run against its own recent runs.

Each portal is compared only with itself: a portal that never shows authors is not an alarm,
one whose dates vanish from one run to the next is (a redesigned article template). A field
drops when its share falls below ``RATIO`` of the median of the previous ``WINDOW`` runs and
by at least ``MIN_DROP``; the list-page yield drops when below ``RATIO`` of its median (a
redesigned list page). Runs storing fewer than ``MIN_ARTICLES`` articles say too little.
"""

from __future__ import annotations

import statistics

from sqlalchemy import Engine, select

from crawler.runs.coverage import FIELDS
from crawler.storage.tables import run_coverage

WINDOW = 5
MIN_HISTORY = 2
RATIO = 0.5
MIN_DROP = 0.3
MIN_ARTICLES = 3


def coverage_drops(engine: Engine, portal: str) -> list[str]:
    """``["published_at 0.96→0.00", "yield 12.0→0.0"]`` for what dropped; empty when fine."""
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(run_coverage).where(run_coverage.c.portal == portal)
            .order_by(run_coverage.c.run_id.desc()).limit(WINDOW + 1))]
    if len(rows) < MIN_HISTORY + 1:
        return []
    last, history = rows[0], rows[1:]
    drops = []
    if last["articles"] >= MIN_ARTICLES:
        for field in FIELDS:
            past = [r[field] for r in history
                    if r["articles"] >= MIN_ARTICLES and r[field] is not None]
            if len(past) < MIN_HISTORY or last[field] is None:
                continue
            usual = statistics.median(past)
            if last[field] < RATIO * usual and usual - last[field] >= MIN_DROP:
                drops.append(f"{field} {usual:.2f}→{last[field]:.2f}")
    past_yield = [r["yield_per_page"] for r in history if r["yield_per_page"] is not None]
    if last["yield_per_page"] is not None and len(past_yield) >= MIN_HISTORY:
        usual = statistics.median(past_yield)
        if usual > 0 and last["yield_per_page"] < RATIO * usual:
            drops.append(f"list-page yield {usual:.1f}→{last['yield_per_page']:.1f} links/page")
    return drops
