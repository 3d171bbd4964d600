"""A log that cannot be written must cost neither the crawl nor a flood on stderr.

When the log file's disk is full (or its directory is gone, or the pipe cron reads is closed),
every write fails. The crawl must go on and store its articles: the database, not the log, is
what it is for. Python's ``logging.Handler.handleError`` does keep the process alive, but prints
a traceback with the call stack to stderr for every record that fails, which cron then mails:
hundreds of lines for a small crawl. Here each handler says once, in one line, that its log
cannot be written and why, and is silent about its later failures; it keeps trying, so a disk
that gets space again gets the later lines (what could not be written is dropped).

It is set on ``logging.Handler`` for the whole crawl process, not on one handler: Scrapy
replaces its root handler (``LOG_FILE`` or stderr) when the crawl starts inside the reactor,
after the last point where the crawl command could reach it.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

_reported: set[str] = set()  # log destinations already said to be unwritable


class _Lossy:
    """A handler's stream once a write to it failed: what cannot be written is dropped, so
    neither a later record nor closing the handler raises (Scrapy closes its first handler
    when it installs the crawl's; an unwritten buffer made that close raise and end the crawl
    before it started)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the file is closed all the same
            self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _report_once(handler: logging.Handler, record: logging.LogRecord) -> None:
    """``handleError`` of every handler: one line the first time a destination fails (Scrapy
    replaces its handler on the same file: still one line), then none."""
    error = sys.exc_info()[1]
    stream = getattr(handler, "stream", None)
    if stream is not None and not isinstance(stream, _Lossy):
        handler.stream = _Lossy(stream)  # type: ignore[attr-defined]
    where = getattr(handler, "baseFilename", None) or "its stream"
    if where in _reported:
        return
    _reported.add(where)
    try:
        sys.stderr.write(f"scrapy crawl portal: the log cannot be written to {where} ({error}); "
                         "the crawl goes on without it (its status is in crawl_runs and the "
                         "exit code)\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # stderr is gone too: nothing left to tell
        pass


def install() -> None:
    """For the rest of the process (a second call changes nothing)."""
    logging.Handler.handleError = _report_once  # type: ignore[method-assign,assignment]
