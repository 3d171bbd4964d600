"""``scrapy crawl portal`` with an exit code that says how the run went, and one-line errors.

Scrapy's own ``crawl`` exits 0 whenever the reactor stopped, even when the run stored nothing
because every host was down, and it reports a misspelt ``-a`` argument, a broken profile or a
bad ``DATABASE_URL`` as a traceback (or as hundreds of error lines, one per page). Cron and
systemd read exit codes and mail stderr, so this command checks everything that can be checked
before the crawl starts, prints one line for what is wrong, and exits with the codes of
``crawler.exitcodes`` (shared with ``scheduler.py``): 0 ok, 1 failed/killed or database
unavailable, 2 configuration.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.config.loading import ConfigError
from crawler.config.profiles import load_portals
from crawler.config.spider_args import PortalSpiderParams, SpiderArgumentError
from crawler.exitcodes import EXIT_CONFIG, EXIT_DATABASE, EXIT_FAILED, EXIT_OK
from crawler.extensions import logguard, quietlog
from crawler.runs.liveness import mark_gone_runs
from crawler.runs.recorder import run_status
from crawler.storage.dburl import DatabaseUnavailable, DatabaseUrlError, open_database

PORTAL_SPIDER = "portal"


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the run before Scrapy configures logging: a bad value is one line, no banner."""
        super().process_options(args, opts)
        quietlog.install()  # before Scrapy logs its banner (the crawler process comes next)
        logguard.install()  # a log that cannot be written: one line on stderr, not one a record
        if args != [PORTAL_SPIDER]:
            return
        try:
            self._preflight(opts.spargs)
        except (SpiderArgumentError, ConfigError, DatabaseUrlError) as exc:
            _say(f"invalid configuration: {exc}")
            sys.exit(EXIT_CONFIG)
        except DatabaseUnavailable as exc:
            _say(f"database unavailable, crawl not started: {exc}")
            sys.exit(EXIT_DATABASE)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl portal [-a portal=KEY]")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
        elif args[0] == PORTAL_SPIDER:
            self.exitcode = exit_code(crawler.stats.get_stats())

    def _preflight(self, spargs: dict[str, Any]) -> None:
        """Raise on anything that would make the crawl fail before fetching a page."""
        assert self.settings is not None
        params = PortalSpiderParams.from_kwargs(**spargs)
        if params.portals or not params.url:
            registry = load_portals(self.settings.get("PORTALS_FILE") or None)
            for key in params.portals:
                registry.get(key)
        engine = open_database(self.settings.get("DATABASE_URL"))
        try:
            for run_id in mark_gone_runs(engine):
                _say(f"crawl run {run_id} was left running by a process that is gone: "
                     "marked failed")
        finally:
            engine.dispose()


def exit_code(stats: dict[str, Any]) -> int:
    """0 only for an ``ok`` run, as recorded in ``crawl_runs`` (crawler.runs.run_status)."""
    status = stats.get("crawlrun/status")
    if status is None:  # the recorder is switched off: judge the stats the same way
        status, _ = run_status(stats, str(stats.get("finish_reason", "unknown")))
    if stats.get("crawlrun/record_errors"):
        return EXIT_FAILED
    return EXIT_OK if status == "ok" else EXIT_FAILED


def _say(message: str) -> None:
    """One line on stderr, whatever the message holds (YAML errors span several)."""
    print("scrapy crawl portal: " + " ".join(message.split()), file=sys.stderr)
