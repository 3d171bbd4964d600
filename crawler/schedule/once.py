"""The one-shot mode for the system crontab: run what is due (or what is named), then exit.

"Due" is defined in ``crawler.schedule.jobs.is_due``: never run, or a scheduled time has
passed since its last run started. The exit code is what cron and monitoring read: 0 all ran
fine (or nothing was due), 1 some run failed or was killed, 3 some run was skipped because
another crawl of the portal was in progress (and none failed).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from crawler.config.profiles import Portal, PortalRegistry
from crawler.schedule import records
from crawler.schedule.events import log_event
from crawler.schedule.jobs import is_due
from crawler.schedule.lease import new_holder
from crawler.schedule.options import SchedulerOptions
from crawler.schedule.runner import PortalRunner, RunOutcome
from crawler.schedule.service import recover
from crawler.storage.tables import utcnow

EXIT_OK, EXIT_FAILED, EXIT_SKIPPED = 0, 1, 3


def select_portals(registry: PortalRegistry, engine: Engine, keys: list[str],
                   run_all: bool) -> list[Portal]:
    if keys:
        return [registry.get(key) for key in dict.fromkeys(keys)]
    if run_all:
        return list(registry.enabled())
    last = records.last_started(engine)
    now = utcnow()
    return [p for p in registry.enabled()
            if is_due(registry.schedule_for(p), last.get(p.key), now)]


def run_once(options: SchedulerOptions, registry: PortalRegistry, engine: Engine,
             stop_event: threading.Event, keys: list[str], run_all: bool) -> tuple[int, str]:
    """Returns the exit code and a one-line summary."""
    recover(engine)
    portals = select_portals(registry, engine, keys, run_all)
    if not portals:
        log_event("once", due=0)
        return EXIT_OK, "once: nothing due"
    log_event("once", portals=",".join(p.key for p in portals), parallel=options.parallel)
    runner = PortalRunner(options, registry, engine, new_holder(), stop_event)
    with ThreadPoolExecutor(max_workers=max(1, options.parallel)) as pool:
        outcomes: list[RunOutcome] = list(pool.map(runner.run, [p.key for p in portals]))
    bad = [o for o in outcomes if o.status in records.FINAL_BAD]
    skipped = [o for o in outcomes if o.status == "skipped"]
    ok = len(outcomes) - len(bad) - len(skipped)
    summary = f"once: {ok} ok, {len(bad)} failed/killed, {len(skipped)} skipped"
    details = [f"{o.portal}={o.status}: {(o.message or '')[:150]}" for o in bad + skipped]
    if details:
        summary += " -- " + "; ".join(details)
    code = EXIT_FAILED if bad else EXIT_SKIPPED if skipped else EXIT_OK
    return code, summary
