"""Worker processes for the pure, CPU-heavy part of a page (decoding, extraction, tagging).

A crawl is one Python process; without help it spends one core on Scrapy's networking and
the page work together. Sending the page work to a small process pool lets a crawl use the
machine's other cores while the reactor keeps downloading. ``workers=0`` runs everything
in-process (tests of the extraction itself, one-core machines).

Why not ``concurrent.futures.ProcessPoolExecutor``: it moves every task through a queue
feeder thread, a manager thread and a wake-up pipe, and those threads compete with the
reactor thread for the GIL (~10% of the crawl process's GIL time on the throughput
benchmark), while the reactor thread is what limits a crawl. Here a worker has two pipes:

* tasks are written by the event loop straight into the task pipe (1 MB: ~15 pages) while it
  has room; what does not fit goes to one sender thread per worker, which waits in
  ``write`` with the GIL released. Not the event loop alone: the reactor is blocked for tens
  of milliseconds at a time (a storage batch commits), and a worker fed only by the loop
  starved in those gaps (measured: idle 70% of the time with 60 tasks waiting);
* answers come back on the other pipe, read by the event loop itself, no thread hop.

A worker that dies (a crash in a C library, the OOM killer) fails only the tasks it held, with
one log line, and is replaced, so the crawl carries on.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # not POSIX: pipes keep their default size
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_START_TIMEOUT = 120.0  # seconds for a worker to import and warm up (jieba's dictionary)
_PIPE_BYTES = 1 << 20  # pipe capacity asked for: ~15 pages in, ~100 answers out
_READY = b"ready"


class WorkerCrashed(RuntimeError):
    """The worker process running a task exited before answering."""


def default_workers() -> int:
    """One worker per core beyond the one the reactor uses."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def light_task_workers(setting: int) -> int:
    """Workers for a pipeline's ~0.1 ms per item job: ``setting``, or for -1 (auto) one from
    4 cores up and none below.

    A round trip costs the crawl process about as much as such a job, and the worker more; on
    2 cores, where the extraction worker already holds the second core, doing the job in the
    crawl process measured faster (tagging: 547 against 510 pages/s, same runs of
    bench/crawl_throughput.py).
    """
    if setting < 0:
        return 1 if (os.cpu_count() or 1) >= 4 else 0
    return setting


def _serve(
    tasks: Connection,
    answers: Connection,
    warm_up: Callable[..., Any] | None,
    warm_args: tuple[Any, ...],
) -> None:
    """A worker's life: warm up, then answer (task id, fn, args) frames until the pipe closes.

    Ctrl-C or a scheduler's SIGTERM reaches the whole process group: the crawl process shuts
    down gracefully and closes its workers itself, so they ignore both (and still exit when
    the crawl process is gone: their task pipe closes).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _widen(answers)
    if warm_up is not None:
        warm_up(*warm_args)
    answers.send_bytes(_READY)
    dumps, loads = pickle.dumps, pickle.loads
    while True:
        try:
            frame = tasks.recv_bytes()
        except (EOFError, OSError):
            return
        task_id, fn, args = loads(frame)
        try:
            answer = (task_id, True, fn(*args))
        except Exception as exc:  # noqa: BLE001 -- the caller gets it, as if raised in-process
            answer = (task_id, False, exc)
        try:
            out = dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 -- an unpicklable result or exception
            out = dumps((task_id, False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        try:
            answers.send_bytes(out)
        except OSError:
            return


def _serve_then_exit(
    tasks: Connection,
    answers: Connection,
    warm_up: Callable[..., Any] | None,
    warm_args: tuple[Any, ...],
) -> None:
    """``_serve``, then leave at once: an orderly interpreter shutdown of a worker (its
    imports, caches and dictionaries torn down) took ~0.2 s, which the crawl process waited
    for at the end of every crawl while joining it. A worker owns nothing that needs it: its
    answers are sent, and a storage worker has closed its database engine when asked to."""
    code = 0
    try:
        _serve(tasks, answers, warm_up, warm_args)
    except BaseException:  # noqa: BLE001 -- printed as Python would, then the exit code says it
        traceback.print_exc()
        code = 1
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _widen(conn: Connection) -> None:
    """Ask for a 1 MB pipe (Linux; 64 KB otherwise), so short stalls of the reader cost nothing."""
    if fcntl is None or not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    with contextlib.suppress(OSError):  # above /proc/sys/fs/pipe-max-size: keep the default
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class _Worker:
    """One worker process, its pipes, its sender thread, and the tasks it holds."""

    def __init__(
        self, process: multiprocessing.process.BaseProcess, tasks: Connection, answers: Connection
    ) -> None:
        self.process = process
        self.tasks = tasks
        self.answers = answers
        self.outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        # Frames handed to the sender thread, and frames it has written; each counter is
        # changed by one thread only, so equal means the thread holds nothing.
        self.queued = 0
        self.written = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.ready = False  # its warm-up finished (its first answer, b"ready", was read)
        self.reader: asyncio.Task[None] | None = None
        self.sender = threading.Thread(target=self._send, name="worker-sender", daemon=True)
        self.sender.start()

    def send(self, payload: bytes) -> None:
        """Frame ``payload`` as ``Connection.send_bytes`` does and write it without blocking.

        Written here, by the event loop, while the pipe has room and the sender thread holds
        nothing; otherwise (the pipe is full) the rest goes to the sender thread, which waits
        in ``write`` with the GIL released. Handing every task to the thread cost a thread
        wake-up and a GIL hand-over per task (20-35 µs of the crawl process's CPU, measured).
        """
        size = len(payload)
        header = struct.pack("!i", size) if size < 0x7FFFFFFF else struct.pack("!iQ", -1, size)
        frame = header + payload
        if self.queued == self.written:  # the thread has written everything it was given
            fd = self.tasks.fileno()
            os.set_blocking(fd, False)
            try:
                sent = os.write(fd, frame)
            except BlockingIOError:
                sent = 0
            except OSError:  # the worker is gone; its answer pipe tells the pool
                return
            finally:
                os.set_blocking(fd, True)
            if sent == len(frame):
                return
            frame = frame[sent:]
        self.queued += 1
        self.outbox.put(frame)

    def _send(self) -> None:
        fd = self.tasks.fileno()
        while (frame := self.outbox.get()) is not None:
            view = memoryview(frame)
            try:
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:  # the worker is gone; its answer pipe tells the pool
                return
            self.written += 1

    def stop_sending(self) -> None:
        self.outbox.put(None)


class _AnswerReader(asyncio.Protocol):
    """Cuts ``Connection.send_bytes`` frames out of the answer pipe and settles their futures.

    ``ended`` gets "" when the pipe closes (the worker exited) and a reason when an answer
    cannot be read (its stream is lost with it); either way the pool replaces the worker.
    """

    def __init__(self, worker: _Worker, ended: asyncio.Future[str], name: str) -> None:
        self.worker = worker
        self.ended = ended
        self.name = name
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        if self.ended.done():
            return
        buffer = self.buffer
        buffer += data
        start = 0
        try:
            while len(buffer) - start >= 4:
                size = struct.unpack_from("!i", buffer, start)[0]
                head = 4
                if size == -1:
                    if len(buffer) - start < 12:
                        break
                    size, head = struct.unpack_from("!Q", buffer, start + 4)[0], 12
                if len(buffer) - start < head + size:
                    break
                frame = bytes(memoryview(buffer)[start + head : start + head + size])
                start += head + size
                self._settle(frame)
        except Exception:  # an answer that cannot be read: its stream is lost with it
            logger.exception("%s worker process %s sent an unreadable answer", self.name,
                             self.worker.process.pid)
            self.ended.set_result("sent an unreadable answer")
            return
        finally:
            del buffer[:start]

    def _settle(self, frame: bytes) -> None:
        worker = self.worker
        if not worker.ready:  # a replacement worker: its tasks waited for its warm-up
            worker.ready = frame == _READY
            return
        task_id, ok, value = pickle.loads(frame)
        future = worker.pending.pop(task_id, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ended.done():
            self.ended.set_result("")


class WorkerPool:
    """``await run(fn, *args)`` runs ``fn(*args)`` in a worker process (inline with 0 workers).

    ``warm_up(*warm_args)`` runs once in every worker before the crawl starts, for loading
    what a worker keeps for its lifetime (a dictionary, an automaton). ``fn``, its arguments
    and its result must pickle; ``fn`` must be importable by name (a module-level function).
    """

    def __init__(
        self,
        workers: int,
        warm_up: Callable[..., Any] | None = None,
        warm_args: tuple[Any, ...] = (),
        name: str = "extraction",
    ) -> None:
        self.workers = workers
        self.name = name
        self._warm_up = warm_up
        self._warm_args = warm_args
        # spawn, not fork: the parent runs a reactor, threads and database connections.
        self._context = multiprocessing.get_context("spawn")
        self._ids = itertools.count()
        self._pool: list[_Worker] = []
        self._closed = False
        if workers > 0:
            # A crawl stopped before its spider or pipelines closed the pool (a SIGTERM during
            # start-up) must not hang at exit: multiprocessing's own exit hook would SIGTERM
            # the workers, which ignore it, and wait for them forever.
            atexit.register(self.close)
            # Start the workers now, before the crawl, so their imports are not paid mid-run.
            self._pool = [self._spawn() for _ in range(workers)]
            try:
                for worker in self._pool:
                    self._await_ready(worker)
            except RuntimeError:
                self.close()
                raise
            logger.info("started %d %s worker process(es)", workers, name)

    def _spawn(self) -> _Worker:
        task_out, task_in = self._context.Pipe(duplex=False)  # (reader, writer)
        answer_out, answer_in = self._context.Pipe(duplex=False)
        _widen(task_in)
        process = self._context.Process(
            target=_serve_then_exit,
            args=(task_out, answer_in, self._warm_up, self._warm_args),
            name=f"{self.name}-worker",
            daemon=True,
        )
        process.start()
        task_out.close()  # the worker's ends: closed here, so its death shows as end of file
        answer_in.close()
        return _Worker(process, task_in, answer_out)

    def _await_ready(self, worker: _Worker) -> None:
        """Block until the worker has warmed up (before the crawl; asyncio is not used yet)."""
        if not worker.answers.poll(_START_TIMEOUT):
            reason = f"no answer in {_START_TIMEOUT:.0f} s"
        else:
            try:
                worker.ready = worker.answers.recv_bytes() == _READY
                reason = "unexpected first answer"
            except (EOFError, OSError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
        if not worker.ready:  # the caller closes the pool, this worker's pipes included
            worker.process.join(1)
            raise RuntimeError(
                f"{self.name} worker process failed to start ({reason}; exit code "
                f"{worker.process.exitcode})"
            )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if not self._pool:
            if self._closed and self.workers > 0:
                raise RuntimeError(f"{self.name} worker pool is closed")
            return fn(*args)
        worker = min(self._pool, key=lambda w: len(w.pending))
        if worker.reader is None or worker.reader.done():  # first task (in this event loop)
            worker.reader = asyncio.ensure_future(self._read_answers(worker))
        task_id = next(self._ids)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        worker.pending[task_id] = future
        worker.send(pickle.dumps((task_id, fn, args), pickle.HIGHEST_PROTOCOL))
        return await future

    async def _read_answers(self, worker: _Worker) -> None:
        """Settle the worker's futures as its answers arrive, until its pipe closes.

        A protocol rather than a StreamReader: answers are cut out of each chunk the event loop
        reads and settled right there, with no coroutine steps per frame (a StreamReader's two
        ``readexactly`` awaits per answer; reading answers showed as ~1.5-2.5% of the crawl
        process in profiles of the benchmark).
        """
        loop = asyncio.get_running_loop()
        pipe = os.fdopen(os.dup(worker.answers.fileno()), "rb", buffering=0)
        ended: asyncio.Future[str] = loop.create_future()
        transport, _ = await loop.connect_read_pipe(
            lambda: _AnswerReader(worker, ended, self.name), pipe
        )
        try:
            why = await ended
        finally:
            transport.close()
        self._replace(worker, why)

    def _replace(self, worker: _Worker, why: str = "") -> None:
        """A worker died (or broke its stream): fail what it held, start another in its place.

        The new worker is not waited for: tasks sent to it wait in its pipe while it warms up.
        """
        if self._closed or worker not in self._pool:
            return
        if not why:
            worker.process.join(1)
            why = f"exited (code {worker.process.exitcode})"
        logger.error(
            "%s worker process %s %s holding %d task(s); starting a new one",
            self.name,
            worker.process.pid,
            why,
            len(worker.pending),
        )
        crash = WorkerCrashed(f"{self.name} worker process {why}")
        for future in worker.pending.values():
            if not future.done():
                future.set_exception(crash)
        worker.pending.clear()
        self._shut(worker)
        self._pool[self._pool.index(worker)] = self._spawn()

    @staticmethod
    def _shut(worker: _Worker) -> None:
        worker.stop_sending()
        worker.sender.join(5)
        worker.tasks.close()  # the worker reads end of file and exits
        worker.answers.close()

    def close(self) -> None:
        """Stop the workers: their task pipes close, they exit; tasks still held are cancelled."""
        self._closed = True
        atexit.unregister(self.close)
        pool, self._pool = self._pool, []
        for worker in pool:
            if worker.reader is not None:
                worker.reader.cancel()
            for future in worker.pending.values():
                future.cancel()
            worker.pending.clear()
            while not worker.outbox.empty():  # nobody waits for these any more
                worker.outbox.get_nowait()
            self._shut(worker)
        for worker in pool:
            worker.process.join(10)
            if worker.process.is_alive():  # stuck in a task: it ignores SIGTERM (see _serve)
                logger.warning(
                    "%s worker process %s did not stop; killing it", self.name, worker.process.pid
                )
                worker.process.kill()
                worker.process.join(5)
