"""Scrapy's start-up banner and its echoes of faults we already report, moved to DEBUG.

A plain ``scrapy crawl`` prints ~75 lines before the first useful one (versions, overridden
settings, the lists of enabled middlewares, extensions and pipelines) and a 60-line stats dump
at the end; an unreachable host adds Scrapy's own ERROR lines (retry gave up, robots.txt
download error with a traceback) beside the spider's. Operators read the INFO level, cron mails
it: there, the crawl's own start, list-page, progress and summary lines must stand out
(``crawler.extensions.progress``), and each fault must appear once, as the spider reports it.

These filters lower the level of those specific Scrapy messages, matched by logger and
message template, to DEBUG: at ``LOG_LEVEL=DEBUG`` everything is still there. Nothing else is
touched, so a real warning or error from Scrapy (or from a message we do not know) still shows.
Logger filters, not handler filters: a logger's filters run before the handlers' level check,
so a demoted record is dropped by the INFO handler like any DEBUG record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

# logger name -> templates (``record.msg`` before %-formatting) of the messages to demote.
BANNER: dict[str, tuple[str, ...]] = {
    "scrapy.utils.log": ("Scrapy %(version)s started", "Versions:"),
    "scrapy.addons": ("Enabled addons:",),
    "scrapy.middleware": ("Enabled %(componentname)ss:",),
    "scrapy.crawler": ("Overridden settings:",),
    "scrapy.extensions.telnet": ("Telnet console listening", "Telnet Password"),
    # Our start and summary lines say this, with the run's figures.
    "scrapy.core.engine": ("Spider opened", "Closing spider (", "Spider closed ("),
    "scrapy.statscollectors": ("Dumping Scrapy stats:",),
}
# Echoes of a fault the spider's errback reports in its own line and counts: robots.txt could
# not be fetched (the page itself is then tried and reported), a response was truncated or over
# DOWNLOAD_MAXSIZE. ("Gave up retrying" is lowered by RETRY_GIVE_UP_LOG_LEVEL in settings.)
ECHOES: dict[str, tuple[str, ...]] = {
    "scrapy.downloadermiddlewares.robotstxt": ("Error downloading %(request)s",),
    "scrapy.core.downloader.handlers.http11": ("Got data loss in",),
}
# Messages http11 formats before logging: matched by a fragment of the final text. A body past
# DOWNLOAD_WARNSIZE is either stored (nothing to do) or goes on past DOWNLOAD_MAXSIZE, which the
# spider reports: an endless stream would otherwise be two lines.
ECHO_FRAGMENTS: dict[str, tuple[str, ...]] = {
    "scrapy.core.downloader.handlers.http11": ("larger than download max size",
                                               "larger than download warn size"),
    # A gzip bomb: the spider reports the ignored response; past the warn size is stored.
    "scrapy.downloadermiddlewares.httpcompression": (
        "during decompression", "is larger than the download warning size"),
}


class DemoteFilter(logging.Filter):
    """Lowers records whose message template starts with one of ``prefixes`` (or whose text
    holds one of ``fragments``) to DEBUG; never drops a record itself."""

    def __init__(self, prefixes: Iterable[str] = (), fragments: Iterable[str] = ()) -> None:
        super().__init__()
        self.prefixes = tuple(prefixes)
        self.fragments = tuple(fragments)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and self._matches(record):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True

    def _matches(self, record: logging.LogRecord) -> bool:
        template = record.msg if isinstance(record.msg, str) else ""
        if self.prefixes and template.startswith(self.prefixes):
            return True
        return bool(self.fragments) and any(f in template for f in self.fragments)


def install() -> None:
    """Puts the filters on Scrapy's loggers, once per process (a second call is a no-op)."""
    names = set(BANNER) | set(ECHOES) | set(ECHO_FRAGMENTS)
    for name in names:
        target = logging.getLogger(name)
        if any(isinstance(f, DemoteFilter) for f in target.filters):
            continue
        target.addFilter(DemoteFilter(BANNER.get(name, ()) + ECHOES.get(name, ()),
                                      ECHO_FRAGMENTS.get(name, ())))
