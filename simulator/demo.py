"""``make demo``: serve the sample portals on 127.0.0.1, run the real crawl, show the database.

Runs exactly the command a user runs (``scrapy crawl portal``) with ``PORTALS_FILE`` pointing
at the local sample portals, into its own database ``data/demo.db`` (``DEMO_DATABASE_URL`` to
change it), so a demo never mixes sample articles into the real ``data/portal.db``. The sample
portals stop with the demo; the last lines say how to look at the result and how to serve them
again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from crawler.storage.engine import normalize_url
from simulator.server import PortalSimulator
from simulator.sites import build_all

ROOT = Path(__file__).resolve().parent.parent
DEMO_DATABASE_URL = "sqlite:///data/demo.db"
EXAMPLE_SQL = """\
SELECT substr(title, 1, 16) AS title, portal, source, is_reprint, duplicate_of, industries
FROM article_view
WHERE story_id IN (SELECT story_id FROM story_view WHERE copies > 1)
ORDER BY story_id, id"""


def _table(rows: list[tuple[object, ...]], headers: list[str]) -> str:
    cells = [headers] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(value: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in value)


def main() -> int:
    database_url = normalize_url(os.environ.get("DEMO_DATABASE_URL", DEMO_DATABASE_URL))
    with PortalSimulator(build_all(faults=False)) as sim:
        portals_file = sim.write_profiles(ROOT / "data" / "demo-portals.yaml")
        for server in sim.servers:
            print(f"sample portal {server.site.name} ({server.site.key}) at "
                  f"{sim.base(server.site.key)}{server.site.list_path}")
        env = dict(os.environ, PORTALS_FILE=str(portals_file), DATABASE_URL=database_url)
        # At INFO, as a user runs it: a start line, one line per list page, one summary line.
        command = [sys.executable, "-m", "scrapy", "crawl", "portal",
                   "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]
        print(f"\n$ DATABASE_URL={database_url} PORTALS_FILE={portals_file.relative_to(ROOT)} "
              "scrapy crawl portal\n")
        proc = subprocess.run(command, cwd=ROOT, env=env)
        if proc.returncode != 0:
            print(f"crawl failed with exit code {proc.returncode}", file=sys.stderr)
            return proc.returncode
    engine = create_engine(database_url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
        per_section = conn.execute(text(
            "SELECT portal, section, count(*) FROM articles GROUP BY portal, section "
            "ORDER BY portal, section")).all()
        run = conn.execute(text(
            "SELECT id, status, pages, items_new, items_duplicate, errors FROM crawl_runs "
            "ORDER BY id DESC LIMIT 1")).one()
        print(f"\n{total} articles stored in {database_url}\n")
        print(_table([tuple(r) for r in per_section], ["portal", "section", "articles"]))
        print("\nlast crawl run:")
        print(_table([tuple(run)], ["run", "status", "pages", "new", "duplicate", "errors"]))
        if engine.dialect.name == "sqlite":
            print(f"\nexample query (stories several portals carry):\n{EXAMPLE_SQL};\n")
            print(_table([tuple(r) for r in conn.execute(text(EXAMPLE_SQL)).all()],
                         ["title", "portal", "source", "is_reprint", "duplicate_of",
                          "industries"]))
    engine.dispose()
    print(_next_steps(database_url))
    return 0


def _next_steps(database_url: str) -> str:
    """The exact commands to look at the result: nothing is left running after the demo."""
    sqlite_file = database_url.removeprefix("sqlite:///")
    return f"""
The sample portals have stopped; nothing is left running. Look at the result:

  . .venv/bin/activate
  export DATABASE_URL={database_url}
  portal report -o report.html        # then open report.html in a browser
  portal search 伺服系统               # ranked full-text search, each story once
  portal runs                          # the crawl run
  sqlite3 {sqlite_file} "SELECT portal, count(*) FROM articles GROUP BY portal"

Serve the sample portals again (Ctrl-C stops them) and crawl them from another terminal:
  python -m simulator.server --no-faults
  PORTALS_FILE=data/demo-portals.yaml DATABASE_URL={database_url} scrapy crawl portal
"""


if __name__ == "__main__":
    sys.exit(main())
