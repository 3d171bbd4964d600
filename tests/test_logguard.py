"""A log destination that fails every write: one line on stderr, then silence; closing the
handler does not raise (Scrapy closes its first handler when the crawl's replaces it)."""

from __future__ import annotations

import errno
import io
import logging

from crawler.extensions import logguard


class _FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self.flush()


def test_a_full_disk_is_said_once_and_the_handler_still_closes(monkeypatch, capsys):
    monkeypatch.setattr(logging.Handler, "handleError", logguard._report_once)
    monkeypatch.setattr(logguard, "_reported", set())
    handler = logging.StreamHandler(_FullDisk())
    log = logging.getLogger("test.logguard")
    monkeypatch.setattr(log, "propagate", False)
    log.addHandler(handler)
    try:
        for n in range(200):
            log.warning("line %d", n)
    finally:
        log.removeHandler(handler)
    handler.close()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "log cannot be written" in err[0] and "No space left" in err[0]
