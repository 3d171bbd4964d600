"""One scheduled crawl of one portal, end to end: lease, row, child, settle, release.

Shared by the long-running service and ``--once`` so both behave the same. Nothing in here may
raise into the caller: a failing crawl (or a database that is briefly away) is recorded and
logged, and the scheduler goes on with its other portals.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.config.loading import ConfigError
from crawler.config.profiles import PortalRegistry
from crawler.schedule import records
from crawler.schedule.child import last_line, run_child
from crawler.schedule.events import log_event
from crawler.schedule.lease import Lease
from crawler.schedule.logfiles import prune, run_log_path
from crawler.schedule.options import SchedulerOptions


@dataclass(frozen=True)
class RunOutcome:
    portal: str
    status: str  # ok, failed, killed, skipped
    run_id: int | None = None
    message: str | None = None


class PortalRunner:
    def __init__(self, options: SchedulerOptions, registry: PortalRegistry, engine: Engine,
                 holder: str, stop_event: threading.Event) -> None:
        self.options = options
        self.registry = registry
        self.engine = engine
        self.holder = holder
        self.stop_event = stop_event

    def run(self, key: str) -> RunOutcome:
        try:
            return self._run(key)
        except Exception as exc:  # noqa: BLE001 - the last line of defence of the scheduler
            log_event("error", logging.ERROR, portal=key, reason=f"{type(exc).__name__}: {exc}")
            return RunOutcome(key, "failed", message=str(exc))

    def _run(self, key: str) -> RunOutcome:
        if self.stop_event.is_set():
            return RunOutcome(key, "skipped", message="scheduler stopping")
        lease = Lease(self.engine, key, self.holder, self.options.lease_ttl_seconds)
        try:
            acquired = lease.acquire()
        except SQLAlchemyError as exc:
            reason = f"database unavailable, run not started: {_short(exc)}"
            log_event("fail", logging.ERROR, portal=key, reason=reason)
            return RunOutcome(key, "failed", message=reason)
        if not acquired:
            return self._skip(key, lease)
        try:
            return self._crawl(key, lease)
        finally:
            try:
                lease.release()
            except SQLAlchemyError as exc:
                log_event("lease_release_failed", logging.WARNING, portal=key,
                          reason=f"{_short(exc)} (it expires by itself)")

    def _skip(self, key: str, lease: Lease) -> RunOutcome:
        info = lease.current()
        if info is None:
            reason = "another crawl of this portal is in progress"
        elif info.holder == self.holder:
            reason = ("an earlier run of this scheduler could not release its lease (database "
                      f"error); it expires at {info.expires_at:%Y-%m-%d %H:%M:%S}Z")
        else:
            reason = ("another crawl of this portal is in progress: lease held by "
                      f"{info.holder} until {info.expires_at:%Y-%m-%d %H:%M:%S}Z")
        return self.record_skip(key, reason)

    def record_skip(self, key: str, reason: str) -> RunOutcome:
        run_id = None
        try:
            run_id = records.record_skipped(self.engine, key, reason)
        except SQLAlchemyError as exc:
            reason += f" (not recorded: {_short(exc)})"
        log_event("skip", logging.WARNING, portal=key, run_id=run_id, reason=reason)
        return RunOutcome(key, "skipped", run_id, reason)

    def _crawl(self, key: str, lease: Lease) -> RunOutcome:
        for orphan in records.recover_portal(self.engine, key):
            log_event("recover", logging.WARNING, portal=key, run_id=orphan, status="failed",
                      reason="left running by an earlier run")
        run_id = records.create_running(self.engine, key)
        try:
            portal = self.registry.get(key)
        except ConfigError as exc:
            records.record_failed(self.engine, run_id, str(exc))
            log_event("fail", logging.ERROR, portal=key, run_id=run_id, reason=str(exc))
            return RunOutcome(key, "failed", run_id, str(exc))
        timeout = self.options.timeout_for(self.registry.schedule_for(portal))
        heartbeat = _Heartbeat(lease, self.options.heartbeat_seconds)
        if self.options.workers <= 1:
            return self._child(key, run_id, timeout, heartbeat)
        # Workers on the shared Redis frontier: one crawl_runs row (and log) per process, one
        # lease for them all; the worst outcome is the run's.
        run_ids = [run_id] + [records.create_running(self.engine, key)
                              for _ in range(self.options.workers - 1)]
        with ThreadPoolExecutor(len(run_ids), thread_name_prefix=f"crawl-{key}") as pool:
            outcomes = list(pool.map(lambda i: self._child(key, i, timeout, heartbeat), run_ids))
        return next((o for o in outcomes if o.status in records.FINAL_BAD), outcomes[0])

    def _child(self, key: str, run_id: int, timeout: float, heartbeat: _Heartbeat) -> RunOutcome:
        log_path = run_log_path(self.options.logs_dir, key, run_id)
        log_event("start", portal=key, run_id=run_id, timeout=f"{timeout:g}s", log=log_path)
        result = run_child(
            self.command(key, run_id), cwd=self.options.project_dir, env=self.child_env(),
            log_path=log_path, timeout=timeout, kill_grace=self.options.kill_grace_seconds,
            stop_event=self.stop_event, stop_grace=self.options.stop_grace_seconds,
            check=heartbeat,
        )
        report = records.ChildReport(result.returncode, result.killed_reason, result.signal_used,
                                     last_line(log_path))
        status, message = records.settle(self.engine, run_id, report)
        prune(self.options.logs_dir, self.options.keep_logs, self.options.max_log_bytes)
        if result.killed_reason is not None:
            log_event("kill", logging.WARNING, portal=key, run_id=run_id,
                      reason=result.killed_reason, signal=result.signal_used,
                      duration=f"{result.duration:.1f}s")
        log_event("finish", logging.INFO if status == "ok" else logging.WARNING, portal=key,
                  run_id=run_id, status=status, exit=result.returncode, pid=result.pid,
                  duration=f"{result.duration:.1f}s", message=message)
        return RunOutcome(key, status, run_id, message)

    def command(self, key: str, run_id: int) -> list[str]:
        """The same ``scrapy crawl portal -a portal=KEY`` a user would type, plus the row id."""
        command = [self.options.python, "-m", "scrapy", "crawl", "portal", "-a", f"portal={key}",
                   "-s", f"CRAWLRUN_ID={run_id}", "-s", f"CRAWLRUN_TRIGGER={records.TRIGGER}"]
        for name, value in self.options.scrapy_settings:
            command += ["-s", f"{name}={value}"]
        return command

    def child_env(self) -> dict[str, str]:
        return dict(os.environ, DATABASE_URL=self.options.database_url,
                    PORTALS_FILE=str(self.options.portals_file), CRAWL_TRIGGER=records.TRIGGER)


class _Heartbeat:
    """Renews the lease every ``every`` seconds while the child runs; asks to stop it if lost.

    A database error is only logged: the lease survives until its TTL, and a renewal that
    comes too late is detected as a lost lease on the next beat. Shared by the workers of one
    run (one thread each): one renewal per beat, and a lost lease stops every one of them.
    """

    def __init__(self, lease: Lease, every: float) -> None:
        self.lease = lease
        self.every = every
        self.last = time.monotonic()
        self.lost: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        with self._lock:
            now = time.monotonic()
            if self.lost is not None or now - self.last < self.every:
                return self.lost
            self.last = now
            try:
                if not self.lease.renew():
                    self.lost = "lease lost (expired and taken over by another scheduler)"
            except SQLAlchemyError as exc:
                log_event("heartbeat_failed", logging.WARNING, portal=self.lease.portal,
                          reason=_short(exc))
            return self.lost


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
