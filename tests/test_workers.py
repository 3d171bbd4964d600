"""The worker pool that extraction and tagging run in: answers, errors, crashes, shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from crawler.workers import WorkerCrashed, WorkerPool

ROOT = Path(__file__).resolve().parent.parent
_WARM: dict[str, str] = {}


def _warm(value: str) -> None:
    _WARM["value"] = value


def _warmed() -> str | None:
    return _WARM.get("value")


def _pid() -> int:
    return os.getpid()


def _echo_size(payload: bytes, tag: int) -> tuple[int, int, int]:
    return tag, len(payload), os.getpid()


def _fail(message: str) -> None:
    raise ValueError(message)


def _die(code: int) -> None:
    os._exit(code)


def _explode() -> None:
    raise ValueError("cannot rebuild this answer")


class _Unreadable:
    """Pickles in the worker, fails to unpickle in the crawl process."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_explode, ())


def _unreadable() -> _Unreadable:
    return _Unreadable()


def _run(pool: WorkerPool, coroutine_fn, *args):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine_fn(pool, *args))


async def _one(pool: WorkerPool, fn, *args):  # type: ignore[no-untyped-def]
    return await pool.run(fn, *args)


@pytest.fixture
def pool():  # type: ignore[no-untyped-def]
    made = WorkerPool(2, _warm, ("loaded",), name="test")
    yield made
    made.close()


def test_a_task_runs_in_another_process_after_its_warm_up(pool: WorkerPool) -> None:
    assert _run(pool, _one, _pid) != os.getpid()
    assert _run(pool, _one, _warmed) == "loaded"


def test_many_large_concurrent_tasks_each_get_their_own_answer(pool: WorkerPool) -> None:
    async def many(pool: WorkerPool) -> list[tuple[int, int, int]]:
        return await asyncio.gather(
            *(pool.run(_echo_size, b"x" * (50_000 + i * 997), i) for i in range(200))
        )

    answers = _run(pool, many)
    assert [(tag, size) for tag, size, _ in answers] == [
        (i, 50_000 + i * 997) for i in range(200)
    ]
    assert len({pid for _, _, pid in answers}) == 2  # both workers took a share


def test_an_exception_in_a_task_reaches_the_caller_and_the_worker_lives_on(
    pool: WorkerPool,
) -> None:
    with pytest.raises(ValueError, match="bad page"):
        _run(pool, _one, _fail, "bad page")
    assert _run(pool, _one, _warmed) == "loaded"


def test_a_crashed_worker_fails_its_task_and_is_replaced(
    pool: WorkerPool, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash_then_work(pool: WorkerPool) -> tuple[BaseException, list[str | None]]:
        try:
            await pool.run(_die, 7)
        except WorkerCrashed as exc:
            crashed: BaseException = exc
        else:
            raise AssertionError("the task of a dead worker must fail")
        # The replacement warms up before it answers; every later task gets a real answer.
        return crashed, list(await asyncio.gather(*(pool.run(_warmed) for _ in range(6))))

    with caplog.at_level(logging.ERROR, logger="crawler.workers"):
        crashed, later = _run(pool, crash_then_work)
    assert "code 7" in str(crashed)
    assert later == ["loaded"] * 6
    assert any("exited (code 7)" in r.getMessage() for r in caplog.records)


def test_an_unreadable_answer_fails_its_task_and_the_pool_carries_on(pool: WorkerPool) -> None:
    async def unreadable_then_work(pool: WorkerPool) -> tuple[BaseException, list[str | None]]:
        try:
            await pool.run(_unreadable)
        except WorkerCrashed as exc:
            failed: BaseException = exc
        else:
            raise AssertionError("an answer that cannot be read must fail its task")
        return failed, list(await asyncio.gather(*(pool.run(_warmed) for _ in range(6))))

    failed, later = _run(pool, unreadable_then_work)
    assert "unreadable answer" in str(failed)
    assert later == ["loaded"] * 6


def test_close_stops_the_worker_processes() -> None:
    pool = WorkerPool(1, name="test")
    processes = [worker.process for worker in pool._pool]
    assert all(p.is_alive() for p in processes)
    pool.close()
    assert not any(p.is_alive() for p in processes)
    with pytest.raises(RuntimeError, match="closed"):
        _run(pool, _one, _pid)


def test_a_process_that_never_closes_its_pool_still_exits() -> None:
    """A crawl stopped during start-up (SIGTERM) exits without closing its pools itself."""
    code = ("from crawler.workers import WorkerPool\n"
            "pool = WorkerPool(1, name='test')\n"
            "print(pool._pool[0].process.pid)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not psutil.pid_exists(int(done.stdout)) or psutil.Process(
        int(done.stdout)).status() == psutil.STATUS_ZOMBIE


def test_zero_workers_run_tasks_inline() -> None:
    pool = WorkerPool(0)
    assert _run(pool, _one, _pid) == os.getpid()
    pool.close()


def test_a_worker_that_cannot_start_is_reported_with_its_pool_name() -> None:
    with pytest.raises(RuntimeError, match="test worker process failed to start"):
        WorkerPool(1, _die, (3,), name="test")


def test_answers_are_cut_out_of_the_pipe_however_its_bytes_arrive() -> None:
    # The event loop hands the reader whatever the pipe holds: half an answer, or several.
    import pickle
    import struct
    from types import SimpleNamespace

    from crawler.workers import _AnswerReader

    async def scenario() -> list[object]:
        loop = asyncio.get_running_loop()
        futures = {i: loop.create_future() for i in range(3)}
        worker = SimpleNamespace(ready=True, pending=dict(futures), process=SimpleNamespace(pid=1))
        ended: asyncio.Future[str] = loop.create_future()
        reader = _AnswerReader(worker, ended, "test")  # type: ignore[arg-type]
        answers = [(0, True, "x" * 70_000), (1, False, ValueError("bad")), (2, True, None)]
        frames = [pickle.dumps(a) for a in answers]
        stream = struct.pack("!i", len(frames[0])) + frames[0]
        stream += struct.pack("!iQ", -1, len(frames[1])) + frames[1]  # the >2 GB header form
        stream += struct.pack("!i", len(frames[2])) + frames[2]
        for i in range(0, 200, 1):  # byte by byte first ...
            reader.data_received(stream[i : i + 1])
        reader.data_received(stream[200:])  # ... then the rest at once
        reader.connection_lost(None)
        results = [await futures[0], await asyncio.gather(futures[1], return_exceptions=True),
                   await futures[2], await ended]
        return results

    first, (error,), last, ended = asyncio.run(scenario())
    assert first == "x" * 70_000
    assert isinstance(error, ValueError) and str(error) == "bad"
    assert last is None
    assert ended == ""  # the pipe closed: the pool replaces the worker
