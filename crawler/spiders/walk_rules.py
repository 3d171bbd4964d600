"""When the walk of a section's list pages ends, and how the log says why.

A walk must end by itself on every site, traps included: at the last page, on a pager that
points back to a page already walked, after ``PORTAL_CAUGHT_UP_PAGES`` list pages in a row with
nothing new (stored or queued earlier in this run: a pager or calendar repeating its articles
for ever), or at the page limit. (The request budget, ``crawler.middlewares.request_budget``,
is the last bound, over the whole crawl.)
"""

from __future__ import annotations

from crawler.runs.section_walks import (
    STOP_CAUGHT_UP,
    STOP_END,
    STOP_FAILED,
    STOP_LIMIT,
    STOP_LOOP,
)

STOP_WORDS = {
    STOP_END: "no next page",
    STOP_CAUGHT_UP: "caught up: nothing new on the last pages",
    STOP_LIMIT: "page limit",
    STOP_FAILED: "list page unreadable",
    STOP_LOOP: "next page already walked",
}


def known_run_after(known_run: int, new: int, page: int, resume_depth: int) -> int:
    """List pages in a row with nothing new, this one included. Pages an unfinished earlier
    walk already reached do not count: what lies past them was never seen."""
    return 0 if new or page <= resume_depth else known_run + 1


def walk_stop(page: int, known_run: int, next_pages: list[str], walked: set[str],
              caught_up_pages: int, max_pages: int) -> str | None:
    """Why the walk ends at this page, or None to read the next one."""
    if next_pages and all(u in walked for u in next_pages):
        return STOP_LOOP
    if not next_pages:
        return STOP_END
    if known_run >= caught_up_pages:
        return STOP_CAUGHT_UP
    if page >= max_pages:
        return STOP_LIMIT
    return None
