"""One ERROR line per unreachable host and crawl, not one per page.

When a portal's host is down (connection refused, DNS failure, no route), every request to it
fails the same way: its robots.txt, each section's list page, each queued article. One line
per request tells the operator nothing the first did not, and in a multi-portal crawl buries the
other portals' lines. So the first such failure of a host is logged at ERROR, saying that later
ones go to DEBUG; page-level faults (404, timeout of one page, truncated body) keep their own
line each. Counting (stats, ``crawl_runs.errors``) is the spider's business and is unchanged.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

# Reasons (as the spider names them) that mean the host, not the page, is at fault.
HOST_REASONS = frozenset({"dns", "refused"})


class FetchErrorLog:
    """Logs failed fetches: every page fault at ERROR, a host-level fault once per host."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.hosts_down: set[str] = set()

    def failed(self, kind: str, url: str, reason: str, detail: str) -> None:
        if reason not in HOST_REASONS:
            self.logger.error("fetch failed for %s page %s: %s", kind, url, detail)
            return
        host = urlsplit(url).netloc.lower()
        if host in self.hosts_down:
            self.logger.debug("fetch failed for %s page %s: %s", kind, url, detail)
            return
        self.hosts_down.add(host)
        self.logger.error("fetch failed for %s page %s: %s (host %s unreachable; its further "
                          "failures are counted and logged at DEBUG)", kind, url, detail, host)
