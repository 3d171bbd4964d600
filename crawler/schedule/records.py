"""The scheduler's writes to and reads from ``crawl_runs``.

The scheduler pre-creates each run's row (status ``running``) before starting the child, so a
run is recorded even when the child never gets as far as the spider (bad profile, crash at
import, SIGKILL); the child's ``CrawlRunRecorder`` fills the same row in via ``CRAWLRUN_ID``.
Besides the crawler's statuses, the scheduler writes ``skipped``: a run that did not start
because another crawl of the portal was in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, update

from crawler.exitcodes import EXIT_FAILED
from crawler.schedule.lease import crawl_leases
from crawler.storage.tables import crawl_runs as runs
from crawler.storage.tables import utcnow

TRIGGER = "schedule"
FINAL_BAD = ("failed", "killed")


def create_running(engine: Engine, portal: str) -> int:
    return _insert_run(engine, portal, "running")


def record_skipped(engine: Engine, portal: str, reason: str) -> int:
    return _insert_run(engine, portal, "skipped", message=reason[:2000], finished=True)


def _insert_run(engine: Engine, portal: str, status: str, message: str | None = None,
                finished: bool = False) -> int:
    now = utcnow()
    with engine.begin() as conn:
        return int(conn.execute(
            runs.insert().values(portal=portal, trigger=TRIGGER, started_at=now,
                                 finished_at=now if finished else None, status=status,
                                 pages=0, items_new=0, items_duplicate=0, errors=0,
                                 message=message)
            .returning(runs.c.id)
        ).scalar_one())


def record_failed(engine: Engine, run_id: int, message: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id)
                     .values(status="failed", finished_at=utcnow(), message=message[:2000]))


@dataclass(frozen=True)
class ChildReport:
    """What the scheduler knows about a finished child, to settle its row."""

    returncode: int | None
    killed_reason: str | None
    signal_used: str | None
    last_log_line: str


def settle(engine: Engine, run_id: int, report: ChildReport) -> tuple[str, str | None]:
    """Final status of a run from the child's own record and how the child ended.

    The child's record wins when it finished normally; the scheduler overrides it when it
    killed the child (the reason is only known here) or when the child exited non-zero or
    died without writing its end.
    """
    with engine.connect() as conn:
        row = conn.execute(select(runs.c.status, runs.c.message, runs.c.finished_at)
                           .where(runs.c.id == run_id)).one()
    child_said = f"; crawl recorded: {row.message}" if row.status != "running" and row.message \
        else ""
    if report.killed_reason is not None and row.status == "ok":
        # It completed and recorded so just as it was signalled: its data is all there.
        return row.status, row.message
    if report.killed_reason is not None:
        status = "killed"
        message = f"{report.killed_reason}, stopped with {report.signal_used}{child_said}"
    elif row.status == "running" or (report.returncode or 0) != 0 and not (
            # a crawl exits 1 when its run is not ok (crawler.exitcodes): its record says why
            row.status in FINAL_BAD and report.returncode == EXIT_FAILED):
        status = "failed"
        how = (f"killed by signal {-report.returncode}" if report.returncode is not None
               and report.returncode < 0 else f"exited with code {report.returncode}")
        unfinished = " without recording its end" if row.status == "running" else ""
        message = f"crawl {how}{unfinished}; last log line: {report.last_log_line or '(empty)'}"
    else:
        return row.status, row.message
    with engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(
            status=status, message=message[:2000], finished_at=row.finished_at or utcnow()))
    return status, message


def recover_orphans(engine: Engine) -> list[int]:
    """Mark scheduled runs left ``running`` by a crash as ``failed``.

    Only rows whose portal has no live lease: a live lease means some scheduler is still
    crawling it (and will settle its row). Manual crawls hold no lease, so they are left alone.
    """
    live = select(crawl_leases.c.portal).where(crawl_leases.c.expires_at >= utcnow())
    return _fail_orphans(engine, runs.c.portal.not_in(live),
                         "left running by a scheduler or machine that stopped without "
                         "finishing it (found on the next start)")


def recover_portal(engine: Engine, portal: str) -> list[int]:
    """Called while holding the portal's lease: any scheduled run of it still ``running`` is
    an orphan (nobody else can be crawling it), e.g. left by a database outage mid-run."""
    return _fail_orphans(engine, runs.c.portal == portal,
                         "left running by a run that could not finish it "
                         "(found by the next run of the portal)")


def _fail_orphans(engine: Engine, which: ColumnElement[bool], message: str) -> list[int]:
    """Mark the scheduled runs matching ``which`` that are still ``running`` as failed."""
    now = utcnow()
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(
            select(runs.c.id).where(runs.c.status == "running", runs.c.trigger == TRIGGER, which))]
        if ids:
            conn.execute(update(runs).where(runs.c.id.in_(ids), runs.c.status == "running")
                         .values(status="failed", finished_at=now, message=message))
    return ids


def last_runs(engine: Engine) -> dict[str, dict[str, object]]:
    """The latest-started run of each portal that actually ran (skips are not runs)."""
    newest = (select(runs.c.portal, func.max(runs.c.started_at).label("started_at"))
              .where(runs.c.status != "skipped").group_by(runs.c.portal).subquery())
    query = (select(runs).join(newest, and_(runs.c.portal == newest.c.portal,
                                            runs.c.started_at == newest.c.started_at))
             .where(runs.c.status != "skipped").order_by(runs.c.id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {r.portal: dict(r._mapping) for r in rows}  # on a tie, the higher id wins


def last_started(engine: Engine) -> dict[str, datetime]:
    return {portal: row["started_at"] for portal, row in last_runs(engine).items()}  # type: ignore[misc]


def covers(key: str) -> ColumnElement[bool]:
    """Runs whose ``portal`` label names ``key``: alone, or in a list such as ``a,key,b``.

    A plain ``scrapy crawl portal`` crawls every enabled portal in one process and records one
    row labelled with all their keys; it is a run of each of them.
    """
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    label = runs.c.portal
    return or_(label == key, label.like(f"{escaped},%", escape="\\"),
               label.like(f"%,{escaped}", escape="\\"),
               label.like(f"%,{escaped},%", escape="\\"))


def last_runs_covering(engine: Engine, keys: list[str]) -> dict[str, dict[str, object]]:
    """The latest-started run (skips excluded) that crawled each of ``keys``, alone or not."""
    result: dict[str, dict[str, object]] = {}
    with engine.connect() as conn:
        for key in keys:
            row = conn.execute(
                select(runs).where(runs.c.status != "skipped", covers(key))
                .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1)
            ).first()
            if row is not None:
                result[key] = dict(row._mapping)
    return result
