"""Store a batch, or spool it at once while the database is away: the writer thread's side.

Why: during an outage a batch that goes back to memory is retried by every new item, so
memory grows, the log floods and a crash loses all of it. Here the first batch that cannot be
written starts an outage (one ERROR line); from then on each batch is written to the spool
(``crawler.storage.spool``, fsynced) without touching the database, so the crawl keeps its
pace. A probe (``probe``, run beside the writer thread every ``STORAGE_PROBE_INTERVAL``) looks
for the database; once it answers, the next call replays the spool, oldest file first, before
it writes anything newer, so the articles reach the database in the order they were
extracted and dedup takes the same decisions as if they had been stored live (one INFO line
when storage works again). Spool files left by an earlier run are replayed the same way before
this run's first batch.

Every method but ``probe`` runs in the writer thread, one call at a time.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crawler.items import ArticleItem
from crawler.storage.outage import OutageLog
from crawler.storage.spool import count_items, read_spool, spool_files, write_spool
from crawler.storage.writer import ArticleWriter, first_line

logger = logging.getLogger(__name__)


class DurableStore:
    def __init__(self, writer: ArticleWriter, spool_dir: Path, batch_size: int,
                 stats: Any) -> None:
        self.writer = writer
        self.spool_dir = spool_dir
        self.batch_size = batch_size
        self.stats = stats
        self.outage = OutageLog(logger, "storage: the database")
        self._spool_log = OutageLog(logger, "storage: the spool")
        self._answered = threading.Event()  # set by probe: try the database again
        self._replayed_in_outage = 0

    @property
    def away(self) -> bool:
        return self.outage.away

    def store(self, batch: list[ArticleItem], run_id: int | None) -> int:
        """Store ``batch`` (the spool first), or spool it; return how many of its items are
        safe (stored or spooled): fewer only when the spool cannot be written either."""
        if self.outage.away and self._answered.is_set():
            self._answered.clear()
            try_database = True
        else:
            try_database = not self.outage.away
        stored = 0
        if try_database and self._replay(run_id):
            stored = self._write(batch, run_id) if batch else 0
            if stored == len(batch):
                self._back()
                return stored
        return stored + self._spool(batch[stored:])

    def probe(self) -> bool:
        """Whether the database answers (from a thread beside the writer's): the next
        ``store`` then replays the spool and writes again."""
        engine = self.writer.engine
        if engine is None:
            return False
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            logger.debug("storage: probe failed (%s)", first_line(exc))
            return False
        self._answered.set()
        return True

    def recover(self, run_id: int | None) -> bool:
        """At the end of a crawl: look for the database and replay the spool; True when the
        database works and nothing is left in the spool."""
        if self.outage.away and not self.probe():
            return False
        self.store([], run_id)
        return not self.outage.away and not spool_files(self.spool_dir)

    def pending_items(self) -> int:
        """Articles waiting in the spool (for the next run, once this one ends)."""
        total = 0
        for path in spool_files(self.spool_dir):
            try:
                total += count_items(path)
            except FileNotFoundError:
                continue  # replayed meanwhile by another crawl
        return total

    # -- the database ---------------------------------------------------------------------

    def _write(self, batch: list[ArticleItem], run_id: int | None) -> int:
        try:
            done = self.writer.write(batch, run_id)
        except Exception as exc:  # noqa: BLE001 -- a bug must not lose the batch: spooled
            logger.exception("storage: writing %d articles failed", len(batch))
            self.stats.inc_value("storage/errors")
            self.writer.last_error = f"{exc.__class__.__name__}: {first_line(exc)}"
            done = 0
        if done < len(batch) and self.outage.failed(self.writer.last_error,
                              "articles go to the spool until it is back"):
            self.stats.inc_value("storage/outages")
            self._replayed_in_outage = 0
        return done

    def _back(self) -> None:
        detail = (f"replayed {self._replayed_in_outage} spooled articles"
                  if self._replayed_in_outage else "")
        if self.outage.worked(detail):
            self._replayed_in_outage = 0

    def _replay(self, run_id: int | None) -> bool:
        """Store the spool, oldest file first; True when nothing is left in it. A file goes
        only once all its items are stored (items of a file replayed twice are updates)."""
        earlier = 0
        for path in spool_files(self.spool_dir):
            try:
                items = list(read_spool(path))
            except FileNotFoundError:
                continue  # replayed meanwhile by another crawl sharing this spool
            # (Two crawls replaying one file store each URL once: the writer keys on it.)
            for start in range(0, len(items), self.batch_size):
                chunk = items[start : start + self.batch_size]
                if self._write(chunk, run_id) < len(chunk):
                    return False
            path.unlink(missing_ok=True)
            self.stats.inc_value("storage/replayed_items", len(items))
            logger.debug("storage: replayed %d spooled articles from %s", len(items), path)
            if self.outage.away:
                self._replayed_in_outage += len(items)
            else:
                earlier += len(items)
        if earlier:
            logger.info("storage: stored %d articles spooled by an earlier run", earlier)
        return True

    # -- the spool ------------------------------------------------------------------------

    def _spool(self, batch: list[ArticleItem]) -> int:
        if not batch:
            return 0
        try:
            path = write_spool(self.spool_dir, batch)
        except OSError as exc:
            self._spool_log.failed(f"cannot write to {self.spool_dir}: {exc}",
                                   "articles are kept in memory and tried again")
            return 0
        self._spool_log.worked()
        self.stats.inc_value("storage/spooled_items", len(batch))
        logger.debug("storage: spooled %d articles to %s", len(batch), path)
        return len(batch)
