"""Failed fetches: named once (``describe``), one ERROR line per unreachable host and crawl,
not one per page.

When a portal's host is down (connection refused, DNS failure, no route), every request to it
fails the same way: its robots.txt, each section's list page, each queued article. One line
per request tells the operator nothing the first did not, and in a multi-portal crawl buries the
other portals' lines. So the first such failure of a host is logged at ERROR, saying that later
ones go to DEBUG; page-level faults (404, timeout of one page, truncated body) keep their own
line each. Counting (stats, ``crawl_runs.errors``) is the spider's business and is unchanged.

``describe`` turns a failure into the reason counted in the stats (``portal/errors/<reason>``)
and the words of its log line, so that an operator reads "timed out" or "over the size limit",
not an exception's class name.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.middlewares.address_guard import REFUSED_PREFIX
from crawler.middlewares.offsite import OFFSITE_PREFIX


def _scrapy_errors(*names: str) -> tuple[type[Exception], ...]:
    """Newer Scrapy wraps Twisted's network errors in its own; older passes Twisted's on."""
    return tuple(getattr(scrapy.exceptions, n) for n in names if hasattr(scrapy.exceptions, n))


_DNS_ERRORS = _scrapy_errors("CannotResolveHostError")
_REFUSED_ERRORS = _scrapy_errors("DownloadConnectionRefusedError")

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


def robots_forbidden(failure: Failure) -> bool:
    """A request robots.txt forbids: not a fault of the page, nor counted as one."""
    return bool(failure.check(IgnoreRequest)) and "robots.txt" in failure.getErrorMessage()


def describe(failure: Failure, maxsize: int, timeout: float | None = None) -> tuple[str, str]:
    """The reason a fetch failed (a stats key part) and the words of its log line.

    ``timeout`` (DOWNLOAD_TIMEOUT) bounds the whole download, not each read, so a server
    dribbling a byte now and then is given up too. ``maxsize`` is DOWNLOAD_MAXSIZE: Scrapy
    cancels a body that grows past it (a chunked or endless stream announces no length) with an
    empty message, and its own line saying why is at DEBUG (``crawler.extensions.quietlog``);
    Scrapy's timeout is a DownloadTimeoutError, so a cancelled download is one over the limit.
    """
    message = failure.getErrorMessage()
    if failure.check(HttpError):
        status = failure.value.response.status
        return f"http_{status}", f"HTTP {status}"
    if failure.check(DNSLookupError, *_DNS_ERRORS):
        return "dns", "DNS lookup failed"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        within = f" (no complete answer within DOWNLOAD_TIMEOUT, {timeout:g} s)" if timeout else ""
        return "timeout", "timed out" + within
    if failure.check(ResponseDataLossError):
        return "truncated", "response truncated (fewer bytes than announced)"
    if failure.check(ConnectionRefusedError, *_REFUSED_ERRORS):
        return "refused", "connection refused"
    if failure.check(IgnoreRequest) and message.startswith(OFFSITE_PREFIX):
        return "offsite", message.removeprefix(OFFSITE_PREFIX).strip()
    if failure.check(IgnoreRequest) and message.startswith(REFUSED_PREFIX):
        return "refused_address", message.removeprefix(REFUSED_PREFIX).strip()
    if failure.check(IgnoreRequest) and "redirect" in message.lower():
        return "redirect_loop", "too many redirects (redirect loop?)"
    if failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in message:  # decompression
        return "too_large", message
    if failure.check(DownloadCancelledError):
        return "too_large", message if "max size" in message else (
            f"body grew past the download size limit (DOWNLOAD_MAXSIZE {maxsize} bytes); "
            "download abandoned")
    name = failure.type.__name__ if failure.type else "error"
    return name.lower(), f"{name}: {message}"
