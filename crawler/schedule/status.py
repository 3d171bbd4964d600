"""``--status``: the last run of each portal, and an exit code a monitoring check can alert on.

A portal is a problem when its last run failed or was killed, when it never ran, or when its
last run started more than ``OVERDUE_FACTOR`` periods ago (the scheduler is down or stuck).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from crawler.config.profiles import PortalRegistry
from crawler.schedule import records
from crawler.schedule.coverage_check import coverage_drops
from crawler.schedule.jobs import period_seconds
from crawler.storage.tables import utcnow

OVERDUE_FACTOR = 2.0


@dataclass(frozen=True)
class PortalStatus:
    portal: str
    state: str  # OK, FAILED, KILLED, OVERDUE, NEVER RUN, COVERAGE (extraction dropped)
    line: str

    @property
    def healthy(self) -> bool:
        return self.state == "OK"


def portal_statuses(registry: PortalRegistry, engine: Engine,
                    now: datetime | None = None) -> list[PortalStatus]:
    now = now or utcnow()
    last = records.last_runs_covering(engine, [p.key for p in registry.enabled()])
    result = []
    for portal in registry.enabled():
        schedule = registry.schedule_for(portal)
        row = last.get(portal.key)
        if row is None:
            result.append(PortalStatus(portal.key, "NEVER RUN", (
                f"{portal.key:<16} {'-':<19} {'-':<8} {'-':>5} {'-':>5} {'-':>6} {'-':>9}  "
                f"NEVER RUN (expected {schedule.describe()})")))
            continue
        started: datetime = row["started_at"]  # type: ignore[assignment]
        finished: datetime | None = row["finished_at"]  # type: ignore[assignment]
        period = period_seconds(schedule, started)
        age = (now - started).total_seconds()
        if row["status"] in records.FINAL_BAD:
            state = str(row["status"]).upper()
        elif age > OVERDUE_FACTOR * period:
            state = "OVERDUE"
        else:
            state = "OK"
        drops = _drops(engine, portal.key) if state == "OK" else []
        if drops:
            state = "COVERAGE"
        duration = f"{(finished - started).total_seconds():.1f}s" if finished else "running"
        local = started.astimezone(ZoneInfo(schedule.timezone)).strftime("%Y-%m-%d %H:%M:%S")
        line = (f"{portal.key:<16} {local:<19} {row['status']!s:<8} {row['items_new']!s:>5} "
                f"{row['items_duplicate']!s:>5} {row['errors']!s:>6} {duration:>9}  {state}")
        if row["portal"] != portal.key:
            line += f" (run {row['id']} of {row['portal']})"
        if state == "OVERDUE":
            line += f" (last start {age:.0f}s ago, expected every {period:.0f}s)"
        elif state == "COVERAGE":
            line += " (extraction dropped against its recent runs: " + ", ".join(drops) + ")"
        elif state != "OK" and row["message"]:
            line += f" ({str(row['message'])[:200]})"
        result.append(PortalStatus(portal.key, state, line))
    return result


def _drops(engine: Engine, key: str) -> list[str]:
    try:
        return coverage_drops(engine, key)
    except SQLAlchemyError:  # a database from before migration 0006: nothing to compare
        return []


def render(statuses: list[PortalStatus]) -> str:
    header = (f"{'portal':<16} {'last run (local)':<19} {'status':<8} {'new':>5} {'dup':>5} "
              f"{'errors':>6} {'duration':>9}  state")
    return "\n".join([header] + [s.line for s in statuses])
