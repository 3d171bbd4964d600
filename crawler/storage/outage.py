"""One log line when the database stops working for a part of the crawl, one when it is back.

An outage touches every batch, list page and lookup: logging each failure floods the log
with hundreds of identical lines and hides the one that matters. Each part that talks to the
database keeps an ``OutageLog``: the first failure is an ERROR line, the ones after it DEBUG,
and the first success after them an INFO line saying how long it lasted. ``should_try``
spaces out the tries while it lasts.
"""

from __future__ import annotations

import logging
import time

# Seconds between tries of a database that is away, for the parts that can go on without it
# (stored-URL lookups, section-walk progress): each try may cost a bounded wait.
RETRY_INTERVAL = 10.0


class OutageLog:
    def __init__(self, logger: logging.Logger, subject: str) -> None:
        self.logger = logger
        self.subject = subject  # "storage: the database"
        self.since: float | None = None
        self.failures = 0
        self._last_try = 0.0

    def should_try(self, interval: float = RETRY_INTERVAL) -> bool:
        """During an outage, try the database at most every ``interval`` seconds: each try
        against a server that does not answer costs a bounded wait (``DB_CLIENT_TIMEOUT``,
        ``DB_CONNECT_TIMEOUT``), and the crawl should not pay it on every list page."""
        now = time.monotonic()
        if self.since is not None and now - self._last_try < interval:
            return False
        self._last_try = now
        return True

    @property
    def away(self) -> bool:
        return self.since is not None

    def failed(self, reason: str, consequence: str = "") -> bool:
        """Record a failure; True (and an ERROR line) when it starts an outage."""
        self.failures += 1
        if self.since is not None:
            self.logger.debug("%s is still unavailable (%s)", self.subject, reason)
            return False
        self.since = time.monotonic()
        self.logger.error("%s is unavailable (%s)%s", self.subject, reason,
                          f"; {consequence}" if consequence else "")
        return True

    def worked(self, detail: str = "") -> bool:
        """Record a success; True (and an INFO line) when it ends an outage."""
        if self.since is None:
            return False
        took = time.monotonic() - self.since
        self.since = None
        self.logger.info("%s works again after %.1f s%s", self.subject, took,
                         f"; {detail}" if detail else "")
        return True
