"""``make demo``: serve the sample portals on 127.0.0.1, run the real crawl, show the database.

Runs exactly the command a user runs (``scrapy crawl portal``) with ``PORTALS_FILE`` pointing
at the local sample portals, into ``DATABASE_URL`` (default ``sqlite:///data/portal.db``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from crawler.db import DEFAULT_DATABASE_URL, normalize_url
from simulator.server import PortalSimulator
from simulator.sites import build_all

ROOT = Path(__file__).resolve().parent.parent
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
    database_url = normalize_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    with PortalSimulator(build_all(faults=False)) as sim:
        portals_file = sim.write_profiles(ROOT / "data" / "demo-portals.yaml")
        for server in sim.servers:
            print(f"sample portal {server.site.name} ({server.site.key}) at "
                  f"{sim.base(server.site.key)}{server.site.list_path}")
        env = dict(os.environ, PORTALS_FILE=str(portals_file), DATABASE_URL=database_url)
        command = [sys.executable, "-m", "scrapy", "crawl", "portal",
                   "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
                   "-s", "LOG_LEVEL=WARNING"]
        print(f"\n$ PORTALS_FILE={portals_file.relative_to(ROOT)} scrapy crawl portal\n")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
