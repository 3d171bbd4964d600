"""``portal``: the analysts' and operators' command (status, runs, search, export).

Reads ``DATABASE_URL`` and ``PORTALS_FILE`` like the crawl; every subcommand is read-only
except that it brings the schema up to date (the search index comes with migration 0006).
Exit codes are those of ``crawler.exitcodes``.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine

from crawler.config.loading import ConfigError
from crawler.exitcodes import EXIT_CONFIG, EXIT_DATABASE, EXIT_FAILED, EXIT_OK
from crawler.storage.dburl import DatabaseUnavailable, DatabaseUrlError, open_database
from crawler.storage.engine import DEFAULT_DATABASE_URL


def _engine() -> Engine:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        return open_database(url)
    except DatabaseUrlError as exc:
        _fail(f"invalid configuration: {exc}", EXIT_CONFIG)
    except DatabaseUnavailable as exc:
        _fail(f"database unavailable: {exc}", EXIT_DATABASE)
    raise AssertionError("unreachable")


def _fail(message: str, code: int) -> None:
    click.echo("portal: " + " ".join(message.split()), err=True)
    sys.exit(code)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write e.g. 2026-12-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Look at what the portal crawler stored: runs, health, search, exports."""


@main.command()
def status() -> None:
    """Last run per portal; exit 1 if one failed, is overdue or never ran (= --status)."""
    from crawler.config.profiles import load_portals
    from crawler.schedule.status import portal_statuses, render

    try:
        registry = load_portals(os.environ.get("PORTALS_FILE") or None)
    except ConfigError as exc:
        _fail(f"invalid configuration: {exc}", EXIT_CONFIG)
    engine = _engine()
    try:
        statuses = portal_statuses(registry, engine)
    finally:
        engine.dispose()
    click.echo(render(statuses))
    sys.exit(EXIT_OK if all(s.healthy for s in statuses) else EXIT_FAILED)


@main.command()
@click.option("--portal", "portal", metavar="KEY", help="only runs that crawled this portal")
@click.option("--last", default=10, show_default=True, type=click.IntRange(1, 10000))
def runs(portal: str | None, last: int) -> None:
    """The latest crawl runs, newest first."""
    from crawler.cli.queries import recent_runs

    engine = _engine()
    try:
        rows = recent_runs(engine, portal, last)
    finally:
        engine.dispose()
    click.echo(f"{'id':>5} {'started (UTC)':<19} {'status':<8} {'trigger':<8} {'pages':>6} "
               f"{'new':>5} {'dup':>5} {'errors':>6}  portal")
    for r in rows:
        started = str(r["started_at"])[:19]
        line = (f"{r['id']:>5} {started:<19} {r['status']:<8} {r['trigger']:<8} "
                f"{r['pages'] or 0:>6} {r['items_new'] or 0:>5} {r['items_duplicate'] or 0:>5} "
                f"{r['errors'] or 0:>6}  {r['portal']}")
        if r["status"] != "ok" and r["message"]:
            line += f"  ({str(r['message'])[:120]})"
        click.echo(line)


@main.command()
@click.argument("query")
@click.option("--portal", metavar="KEY")
@click.option("--since", metavar="DATE", callback=_date, help="published (or seen) from DATE")
@click.option("--tag", metavar="T", help="only articles with this tag (industry, company, keyword)")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def search(query: str, portal: str | None, since: datetime | None, tag: str | None,
           limit: int) -> None:
    """Full-text search over titles and bodies, best first, each story once."""
    from crawler.cli.queries import search as run_search

    query = query.strip()
    if not query:
        _fail("search: give some text to look for", EXIT_CONFIG)
    engine = _engine()
    try:
        hits = run_search(engine, query, portal, since, tag, limit)
    finally:
        engine.dispose()
    for hit in hits:
        copies = f"  [{hit.copies} copies]" if hit.copies > 1 else ""
        click.echo(f"{hit.id:>6}  {str(hit.published_at or '')[:10]:<10}  {hit.portal:<12} "
                   f"{hit.title}{copies}\n        {hit.url}\n        …{hit.snippet}…")
    if not hits:
        click.echo("no match", err=True)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]),
              default="jsonl", show_default=True)
@click.option("--since", metavar="DATE", callback=_date)
@click.option("--portal", metavar="KEY")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="file to write (default: stdout; required for parquet)")
def export(fmt: str, since: datetime | None, portal: str | None, output: Path | None) -> None:
    """Articles as JSON lines, CSV or Parquet, for pandas, spreadsheets or a warehouse."""
    from crawler.cli.export import write_export

    if fmt == "parquet" and output is None:
        _fail("export: --format parquet needs -o FILE (binary output)", EXIT_CONFIG)
    engine = _engine()
    try:
        count = write_export(engine, fmt, since, portal, output)
    finally:
        engine.dispose()
    click.echo(f"exported {count} articles" + (f" to {output}" if output else ""), err=True)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True)
def report(output: Path) -> None:
    """One self-contained HTML page of charts (opens offline): volume, reprints, tags, health."""
    from crawler.report.data import load
    from crawler.report.page import render

    engine = _engine()
    try:
        data = load(engine)
    finally:
        engine.dispose()
    output.write_text(render(data), encoding="utf-8")
    click.echo(f"report written to {output}", err=True)


@main.command()
@click.argument("target", metavar="KEY|URL")
def check(target: str) -> None:
    """Fetch one section page and one article live; show what each field extracts to."""
    from urllib.error import URLError

    from crawler.cli.check import check as run_check

    try:
        good = run_check(target, os.environ.get("PORTALS_FILE") or None, click.echo)
    except ConfigError as exc:
        _fail(f"invalid configuration: {exc}", EXIT_CONFIG)
    except (URLError, OSError) as exc:
        _fail(f"check: fetch failed: {exc}", EXIT_FAILED)
    sys.exit(EXIT_OK if good else EXIT_FAILED)
