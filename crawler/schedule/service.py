"""The long-running mode: ``python scheduler.py`` under systemd, supervisor or a container.

Stopping is two-phase so that a deploy or reboot does not leave half-recorded runs: on SIGTERM
or SIGINT no new run starts, running crawls get ``stop_grace`` to finish, then they are
terminated (SIGTERM, SIGKILL after ``kill_grace``) and recorded as ``killed``.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from sqlalchemy import Engine

from crawler.config.profiles import PortalRegistry
from crawler.runs.liveness import MESSAGE as PROCESS_GONE
from crawler.runs.liveness import mark_gone_runs
from crawler.schedule import records
from crawler.schedule.events import log_event
from crawler.schedule.jobs import build_scheduler, plan
from crawler.schedule.lease import new_holder
from crawler.schedule.options import SchedulerOptions
from crawler.schedule.runner import PortalRunner


def install_stop_signals(stop_event: threading.Event) -> None:
    def handler(signum: int, _frame: Any) -> None:
        log_event("stop_requested", signal=signal.Signals(signum).name)
        stop_event.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def recover(engine: Engine) -> None:
    # Manual and scheduled runs of this host whose process died (kill -9, OOM): "process gone".
    for run_id in mark_gone_runs(engine):
        log_event("recover", logging.WARNING, run_id=run_id, status="failed", reason=PROCESS_GONE)
    for run_id in records.recover_orphans(engine):
        log_event("recover", logging.WARNING, run_id=run_id, status="failed",
                  reason="left running by a crash")


def serve(options: SchedulerOptions, registry: PortalRegistry, engine: Engine,
          stop_event: threading.Event) -> int:
    holder = new_holder()
    recover(engine)
    runner = PortalRunner(options, registry, engine, holder, stop_event)
    jobs = plan(registry, records.last_started(engine))
    scheduler = build_scheduler(jobs, runner.run, options.parallel)

    def on_max_instances(event: JobSubmissionEvent) -> None:
        runner.record_skip(event.job_id, "previous run of this portal still in progress in this "
                                         "scheduler (max_instances=1)")

    scheduler.add_listener(on_max_instances, EVENT_JOB_MAX_INSTANCES)
    scheduler.start()
    log_event("scheduler_start", holder=holder, jobs=len(jobs), parallel=options.parallel,
              portals=",".join(j.portal.key for j in jobs) or "-")
    for job in jobs:
        log_event("job", portal=job.portal.key, schedule=job.schedule.describe(),
                  next_run=job.next_run.isoformat(timespec="seconds"))
    while not stop_event.wait(1.0):
        pass
    log_event("scheduler_stopping", grace=f"{options.stop_grace_seconds:g}s")
    scheduler.shutdown(wait=True)
    log_event("scheduler_stop", holder=holder)
    return 0
