"""Worker processes for the pure, CPU-heavy part of a page (decoding and extraction).

A crawl is one Python process; without help it spends one core on Scrapy's networking and
the page work together. Sending the page work to a small process pool lets a crawl use the
machine's other cores while the reactor keeps downloading. ``workers=0`` runs everything
in-process (tests of the extraction itself, one-core machines).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def default_workers() -> int:
    """One worker per core beyond the one the reactor uses."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _ignore_stop_signals() -> None:
    """Ctrl-C or a scheduler's SIGTERM reaches the whole process group: let the crawl process
    shut down gracefully and close the pool itself, instead of its workers dying under it
    (they still exit when the crawl process is gone: their task pipe closes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _warm_up(fn: Callable[..., Any] | None, args: tuple[Any, ...]) -> int:
    if fn is not None:
        fn(*args)
    return os.getpid()


class WorkerPool:
    """``run(fn, *args)`` awaits ``fn(*args)`` in a worker process (or inline with 0 workers).

    ``warm_up(*warm_args)`` runs once in every worker before the crawl starts, for loading
    what a worker keeps for its lifetime (a dictionary, an automaton).
    """

    def __init__(
        self,
        workers: int,
        warm_up: Callable[..., Any] | None = None,
        warm_args: tuple[Any, ...] = (),
        name: str = "extraction",
    ) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        if workers > 0:
            # spawn, not fork: the parent runs a reactor, threads and database connections.
            self._executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_stop_signals,
            )
            # Start the workers now, before the crawl, so their imports are not paid mid-run.
            futures = [self._executor.submit(_warm_up, warm_up, warm_args) for _ in range(workers)]
            for future in futures:
                future.result()
            logger.info("started %d %s worker process(es)", workers, name)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            return fn(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
