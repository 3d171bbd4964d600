"""Run the portal crawls on the schedules of the portal profiles.

    python scheduler.py                     # long-running service (systemd, supervisor, container)
    python scheduler.py --once [--all | --portal KEY ...] [--parallel N]   # from crontab
    REDIS_URL=redis://host:6379/0 python scheduler.py --workers 3   # 3 processes per crawl
    python scheduler.py --list              # jobs and their next run times
    python scheduler.py --status            # last run per portal; non-zero if failed/overdue

Environment: DATABASE_URL, PORTALS_FILE, SCHEDULER_TIMEOUT, SCHEDULER_LOGS_DIR, REDIS_URL. See
README.md, "Scheduler". This file only parses arguments and wires ``crawler.schedule`` together.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crawler.config.loading import ConfigError
from crawler.config.profiles import PortalRegistry, load_portals
from crawler.exitcodes import EXIT_CONFIG, EXIT_DATABASE
from crawler.schedule import records
from crawler.schedule.jobs import plan
from crawler.schedule.once import run_once
from crawler.schedule.options import DEFAULT_TIMEOUT_SECONDS, SchedulerOptions, parse_duration
from crawler.schedule.service import install_stop_signals, serve
from crawler.schedule.status import portal_statuses, render
from crawler.storage.dburl import check_database_url
from crawler.storage.engine import DEFAULT_DATABASE_URL, make_engine, sqlite_path, upgrade_database

PROJECT_DIR = Path(__file__).resolve().parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Crawl the portals on their schedules.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="print the jobs and next run times")
    mode.add_argument("--once", action="store_true", help="run due portals once, then exit")
    mode.add_argument("--status", action="store_true",
                      help="print the last run per portal; exit 1 if any failed or is overdue")
    parser.add_argument("--portal", action="append", default=[], metavar="KEY",
                        help="with --once: run this portal (repeatable), due or not")
    parser.add_argument("--all", action="store_true", help="with --once: every enabled portal")
    parser.add_argument("--parallel", type=int, default=3, help="crawls at once (default 3)")
    parser.add_argument("--workers", type=int, default=1,
                        help="crawl processes per portal run, on the shared Redis frontier "
                             "(needs REDIS_URL; default 1)")
    parser.add_argument("--timeout", type=parse_duration,
                        default=os.environ.get("SCHEDULER_TIMEOUT") or str(DEFAULT_TIMEOUT_SECONDS),
                        help="kill a crawl after this long unless its profile says otherwise "
                             "(default: env SCHEDULER_TIMEOUT or 30m)")
    parser.add_argument("--stop-grace", type=parse_duration, default=60.0,
                        help="on SIGTERM, let running crawls finish this long (default 60s)")
    parser.add_argument("--kill-grace", type=parse_duration, default=10.0,
                        help="SIGTERM -> SIGKILL delay for a crawl being stopped (default 10s)")
    parser.add_argument("--lease-ttl", type=parse_duration, default=120.0,
                        help="a crashed holder's lease expires after this (default 2m)")
    parser.add_argument("--heartbeat", type=parse_duration, default=None,
                        help="lease renewal period (default: a quarter of --lease-ttl)")
    parser.add_argument("--logs-dir", default=os.environ.get("SCHEDULER_LOGS_DIR") or "logs",
                        help="per-run crawl logs (default: env SCHEDULER_LOGS_DIR or ./logs)")
    parser.add_argument("--keep-logs", type=int, default=20, help="log files kept per portal")
    parser.add_argument("--max-log-mb", type=float, default=200.0,
                        help="total size cap of the crawl logs (default 200)")
    parser.add_argument("--portals-file", default=os.environ.get("PORTALS_FILE") or None)
    parser.add_argument("--database-url",
                        default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[],
                        metavar="NAME=VALUE", help="Scrapy setting passed to every crawl")
    parser.add_argument("--log-level", default=None,
                        help="default INFO; WARNING with --once so cron mails only trouble")
    return parser


def _absolute_database_url(url: str) -> str:
    """A relative SQLite path must mean the same file for the child, which runs elsewhere."""
    path = sqlite_path(url)
    if path is None or path.is_absolute():
        return url
    return make_url(url).set(database=str(path.resolve())).render_as_string(hide_password=False)


def build_options(args: argparse.Namespace, registry: PortalRegistry) -> SchedulerOptions:
    check_database_url(args.database_url)  # DatabaseUrlError is a ValueError: exit 2, one line
    settings = []
    for item in args.settings:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"scheduler.py: -s expects NAME=VALUE, got {item!r}")
        settings.append((name, value))
    heartbeat = args.heartbeat or args.lease_ttl / 4
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    if args.workers > 1 and not (os.environ.get("REDIS_URL") or dict(settings).get("REDIS_URL")):
        raise ValueError("--workers above 1 needs REDIS_URL (environment or -s REDIS_URL=...): "
                         "the workers of one crawl share its frontier in Redis")
    if heartbeat >= args.lease_ttl:
        raise ValueError(f"--heartbeat ({heartbeat:g}s) must be shorter than --lease-ttl "
                         f"({args.lease_ttl:g}s), or a running crawl would lose its lease")
    return SchedulerOptions(
        database_url=_absolute_database_url(args.database_url),
        portals_file=registry.path.resolve(),
        project_dir=PROJECT_DIR,
        logs_dir=Path(args.logs_dir).resolve(),
        timeout_seconds=args.timeout,
        stop_grace_seconds=args.stop_grace,
        kill_grace_seconds=args.kill_grace,
        lease_ttl_seconds=args.lease_ttl,
        heartbeat_seconds=heartbeat,
        parallel=args.parallel,
        workers=args.workers,
        keep_logs=args.keep_logs,
        max_log_bytes=int(args.max_log_mb * 1024 * 1024),
        scrapy_settings=tuple(settings),
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = args.log_level or ("WARNING" if args.once else "INFO")
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Our own key=value lines say what APScheduler's prose would, once.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        registry = load_portals(args.portals_file)
        options = build_options(args, registry)
    except (ConfigError, ValueError) as exc:
        print("scheduler.py: invalid configuration: " + " ".join(str(exc).split()),
              file=sys.stderr)
        return EXIT_CONFIG
    engine = make_engine(options.database_url)
    try:
        if args.list or args.status:
            return _report(args, registry, engine)
        try:
            upgrade_database(engine)
        except SQLAlchemyError as exc:  # a supervisor restarts us; say why in one line
            print(f"scheduler.py: database unavailable: {str(exc).splitlines()[0]}",
                  file=sys.stderr)
            return EXIT_DATABASE
        stop_event = threading.Event()
        install_stop_signals(stop_event)
        if args.once:
            try:
                code, summary = run_once(options, registry, engine, stop_event, args.portal,
                                         args.all)
            except ConfigError as exc:  # --portal naming no profile
                print(f"scheduler.py: {exc}", file=sys.stderr)
                return EXIT_CONFIG
            print(summary)  # stdout: cron users who want mail only on trouble add >/dev/null
            return code
        return serve(options, registry, engine, stop_event)
    finally:
        engine.dispose()


def _report(args: argparse.Namespace, registry: PortalRegistry, engine: Engine) -> int:
    """--list and --status read only: a monitoring check must not migrate the database."""
    path = sqlite_path(str(engine.url))
    try:
        if path is not None and not path.exists():  # do not create an empty database file
            raise FileNotFoundError(f"no database file {path}")
        last = records.last_started(engine)
    except Exception as exc:  # noqa: BLE001 - no file or table yet, or database down
        if args.status:
            print(f"scheduler.py: cannot read crawl_runs: {exc}", file=sys.stderr)
            return 1
        last = {}
    if args.list:
        for job in plan(registry, last):
            local = job.next_run.astimezone(ZoneInfo(job.schedule.timezone))
            timeout = job.schedule.timeout_seconds
            print(f"{job.portal.key:<16} {job.schedule.describe():<40} "
                  f"next run {local:%Y-%m-%d %H:%M:%S %Z}"
                  + (f"  timeout {timeout}s" if timeout else ""))
        return 0
    statuses = portal_statuses(registry, engine)
    print(render(statuses))
    return 0 if all(s.healthy for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
