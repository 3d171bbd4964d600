"""A crawl asked to stop (SIGTERM, Ctrl-C) ends within seconds, even with a download hanging.

Scrapy's graceful shutdown waits for every download in flight, and a server that accepts a
connection and never answers holds it for ``DOWNLOAD_TIMEOUT`` (30 s by default, more for a
slow portal's profile). That is longer than the scheduler waits before its SIGKILL, and longer
than a crawl may outlive a scheduler that died: a SIGKILL loses the storage batch and the run
record. ``CRAWL_STOP_GRACE`` seconds after the first stop signal, this extension aborts the
HTTP connections still open. Their downloads fail like any broken connection (one log line
each, counted), and the spider then closes normally: its last batch is stored and the run is
recorded as ``killed``. A second signal still forces Scrapy's unclean stop at once.
"""

from __future__ import annotations

import functools
import logging
import signal
import threading
from types import FrameType
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import tcp

logger = logging.getLogger(__name__)

_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGBREAK") if hasattr(signal, name)
)


class BoundedShutdown:
    """Arms a timer on the first stop signal; when it fires, aborts the open downloads."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self._timer: Any = None
        self._done = False
        self._aborted = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> BoundedShutdown:
        grace = crawler.settings.getfloat("CRAWL_STOP_GRACE", 5.0)
        if grace <= 0:
            raise NotConfigured("CRAWL_STOP_GRACE <= 0: stops wait for every download")
        extension = cls(grace)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        """Chain onto the handlers Scrapy installed (they are in place once the engine runs)."""
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for signum in _STOP_SIGNALS:
            previous = signal.getsignal(signum)
            if callable(previous):
                signal.signal(signum, functools.partial(self._on_signal, previous))

    def _on_signal(self, previous: Any, signum: int, frame: FrameType | None) -> None:
        previous(signum, frame)
        from twisted.internet import reactor

        reactor.callFromThread(self._arm)  # type: ignore[attr-defined]

    def _arm(self) -> None:
        if self._timer is not None or self._done:
            return
        from twisted.internet import reactor

        self._timer = reactor.callLater(self.grace, self._abort)  # type: ignore[attr-defined]

    def _abort(self) -> None:
        from twisted.internet import reactor

        open_downloads = {
            transport
            for transport in [*reactor.getReaders(), *reactor.getWriters()]  # type: ignore[attr-defined]
            if isinstance(transport, tcp.Client)
        }
        if open_downloads:
            logger.warning(
                "still stopping %s %.0f s (CRAWL_STOP_GRACE): aborting %d open download(s)",
                "after" if not self._aborted else "more than",
                self.grace,
                len(open_downloads),
            )
            self._aborted = True
            for transport in open_downloads:
                transport.abortConnection()
        # A retry of an aborted download may connect again: look again shortly.
        self._timer = reactor.callLater(1.0, self._abort)  # type: ignore[attr-defined]

    def spider_closed(self) -> None:
        self._done = True
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
