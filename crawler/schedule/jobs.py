"""Portal profiles -> APScheduler triggers and jobs, and the "when is a portal due" rules.

Schedules live in the profiles, so the job store is in memory and rebuilt at every start; what
survives a restart is ``crawl_runs``, from which the first run after a start is planned (an
interval portal resumes at ``last start + interval``, or right away when that is past).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config.profiles import Portal, PortalRegistry, Schedule
from crawler.storage.tables import utcnow

# coalesce: fire times missed while the process was busy/suspended collapse into one run.
# max_instances=1: a portal whose crawl outlasts its interval is not started twice here.
# misfire_grace_time=None: a run delayed (e.g. queued behind --parallel) still happens, late,
# instead of being dropped; with coalesce it happens once.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def trigger_for(schedule: Schedule) -> BaseTrigger:
    tz = ZoneInfo(schedule.timezone)
    if schedule.interval_seconds:
        return IntervalTrigger(seconds=schedule.interval_seconds, timezone=tz)
    assert schedule.cron is not None
    return CronTrigger.from_crontab(schedule.cron, timezone=tz)


def period_seconds(schedule: Schedule, after: datetime) -> float:
    """The expected gap between runs: the interval, or the cron's gap after ``after``."""
    if schedule.interval_seconds:
        return float(schedule.interval_seconds)
    trigger = trigger_for(schedule)
    first = trigger.get_next_fire_time(None, after)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    return (second - first).total_seconds()


def _slack(schedule: Schedule, now: datetime) -> timedelta:
    """Tolerance so a run started a few seconds late does not make the next one "not due"."""
    return timedelta(seconds=min(60.0, period_seconds(schedule, now) * 0.1))


def first_run(schedule: Schedule, last_started: datetime | None, now: datetime) -> datetime:
    """When a freshly started scheduler runs a portal first: no burst, no needless wait."""
    if schedule.interval_seconds:
        if last_started is None:
            return now
        return max(now, last_started + timedelta(seconds=schedule.interval_seconds))
    fire = trigger_for(schedule).get_next_fire_time(None, now)
    assert fire is not None
    return fire


def is_due(schedule: Schedule, last_started: datetime | None, now: datetime) -> bool:
    """``--once``: never run, or a scheduled time has passed since the last run started."""
    if last_started is None:
        return True
    slack = _slack(schedule, now)
    if schedule.interval_seconds:
        return now >= last_started + timedelta(seconds=schedule.interval_seconds) - slack
    fire = trigger_for(schedule).get_next_fire_time(None, last_started + slack)
    return fire is not None and fire <= now


@dataclass(frozen=True)
class PlannedJob:
    portal: Portal
    schedule: Schedule
    next_run: datetime


def plan(registry: PortalRegistry, last_started: Mapping[str, datetime],
         now: datetime | None = None) -> list[PlannedJob]:
    now = now or utcnow()
    jobs = []
    for portal in registry.enabled():
        schedule = registry.schedule_for(portal)
        jobs.append(PlannedJob(portal, schedule,
                               first_run(schedule, last_started.get(portal.key), now)))
    return jobs


def build_scheduler(jobs: list[PlannedJob], run: Callable[[str], object],
                    parallel: int) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=max(1, parallel))},
        job_defaults=JOB_DEFAULTS,
        timezone=ZoneInfo("UTC"),
    )
    for job in jobs:
        scheduler.add_job(run, trigger_for(job.schedule), args=[job.portal.key],
                          id=job.portal.key, name=job.portal.key, next_run_time=job.next_run)
    return scheduler
