"""What a crawl costs at the politeness of real use: CPU per page, start-up, peak memory.

``bench/crawl_throughput.py`` measures the work per page with politeness off; real crawls run
with the project's defaults (AutoThrottle, ``DOWNLOAD_DELAY = 0.25``, 4 requests per host),
at a few pages per second per portal. Here the same sample portal is served by nginx on
127.0.0.1 (so the politeness alone sets the pace) and crawled twice with the project's
settings as they are, reading 1 and then 3 list pages (~50 articles each); each crawl is one
whole process under ``wait4``. The difference between the two is the cost per page at that
pace; the rest of the shorter one is start-up and its first list page.

Usage: ``python bench/production_cost.py [--pages-short 1] [--pages-long 3]`` (~70 s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crawl_throughput import (  # noqa: E402
    Figures,
    free_port,
    migrate,
    process_env,
    start_nginx,
    stored,
    timed,
    write_site,
)


def crawl(profiles: Path, database_url: str, max_pages: int) -> Figures:
    """One ``scrapy crawl portal`` process at the project's own settings."""
    env = process_env(PORTALS_FILE=str(profiles), DATABASE_URL=database_url)
    migrate(database_url)
    command = [sys.executable, "-m", "scrapy", "crawl", "portal", "-s", "LOG_LEVEL=ERROR",
               "-s", f"PORTAL_MAX_PAGES={max_pages}"]
    figures = timed(f"max_pages={max_pages}", 0, [command], env)
    figures.stored = stored(database_url)[0]
    figures.pages = figures.stored + max_pages  # articles and their list pages
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-short", type=int, default=1)
    parser.add_argument("--pages-long", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # nginx's workers (another user when started as root) read it
        list_path, _ = write_site(work, 50 * (args.pages_long + 1))
        port = free_port()
        nginx = start_nginx(work, port)
        try:
            profiles = work / "portals.yaml"
            profiles.write_text(
                "portals:\n  - key: bench\n    name: 基准工控网\n    sections:\n"
                f"      - {{name: 行业动态, url: \"http://127.0.0.1:{port}{list_path}\"}}\n")
            runs = []
            for max_pages in (args.pages_short, args.pages_long):
                figures = crawl(profiles, f"sqlite:///{work}/cost-{max_pages}.db", max_pages)
                runs.append((max_pages, figures.pages, figures.wall, figures.cpu,
                             figures.peak_rss_mb))
        finally:
            nginx.terminate()
            nginx.wait()
    print("the project's politeness defaults (AutoThrottle, DOWNLOAD_DELAY=0.25, 4 per host); "
          "one whole process per run:")
    print(f"{'max_pages':>9} {'pages':>6} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>12}")
    for max_pages, pages, wall, cpu, rss in runs:
        print(f"{max_pages:>9} {pages:>6} {wall:7.1f} {cpu:6.2f} {rss:12.0f}")
    (_, p1, w1, c1, _), (_, p2, w2, c2, _) = runs
    per_page = (c2 - c1) / (p2 - p1)
    rate = (p2 - p1) / (w2 - w1)
    print(f"per page at {rate:.1f} pages/s: {1000 * per_page:.1f} ms CPU "
          f"({100 * per_page * rate:.1f} % of one core while a portal is crawled); "
          f"start-up and the first list page: {c1 - per_page * p1:.2f} s CPU")


if __name__ == "__main__":
    main()
