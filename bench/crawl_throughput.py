"""Crawl throughput: the full pipeline against a bare download-only crawl of the same pages.

Generates a large sample portal (default 2,000 articles, 50-100 KB pages with a long menu, a
sidebar of other headlines, inline scripts and styles, 6-12 paragraphs of different text),
serves it on 127.0.0.1, then in the same run crawls it

- ``bare``: a Scrapy spider that only downloads the same URLs, with Scrapy's stock middlewares
  and extensions (the project's own ones are part of what the full crawl costs);
- ``full``: ``scrapy crawl portal`` with every pipeline on, into a fresh SQLite file;

with the same concurrency and without delays or AutoThrottle, so the ratio measures per-page
work, not politeness. Prints pages/s, their ratio (target: full >= 0.5x bare), CPU ms per
page (the crawl process, and all processes with its extraction/tagging workers) and peak
memory of the crawl process; then the CPU of each worker process (extraction, storage, and
tagging or dedup hashing where they have their own) on its own line, largest first.
Usage: ``python bench/crawl_throughput.py [--articles N] [--rounds R]`` (default: 3 rounds,
bare then full in each; pages/s is the best round of each mode, and each round's own ratio is
printed too, because a shared machine's speed drifts from run to run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fast_server import FastServer  # noqa: E402
from simulator.sites import build_gkong  # noqa: E402


def build_pages(articles: int) -> tuple[dict[str, tuple[int, str, bytes]], list[str], str]:
    site = build_gkong(n_articles=articles, per_page=50, clutter=45_000, paragraphs=(6, 12),
                       menu_links=250, other_links=40)
    pages = {path: (p.status, p.content_type, p.body) for path, p in site.pages.items()}
    paths = [p for p in site.pages if p != "/robots.txt"]
    return pages, paths, site.list_path


def run(mode: str, target: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "_crawl_once.py"), mode, target],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{mode} crawl failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate bare/full R times")
    args = parser.parse_args()

    pages, paths, list_path = build_pages(args.articles)
    sizes = [len(pages[p][2]) for p in paths if "/2024/" in p]
    print(f"sample portal: {len(sizes)} articles, page size {min(sizes) // 1024}-"
          f"{max(sizes) // 1024} KB (median {statistics.median(sizes) // 1024} KB), "
          f"{len(paths) - len(sizes)} list pages")
    server = FastServer(pages)
    base = server.start()
    results: dict[str, list[dict[str, float]]] = {"bare": [], "full": []}
    with tempfile.TemporaryDirectory() as tmp:
        urls_file = Path(tmp) / "urls.txt"
        urls_file.write_text("\n".join(base + p for p in paths))
        portals = Path(tmp) / "portals.yaml"
        portals.write_text(
            "portals:\n  - key: bench\n    name: 基准工控网\n    sections:\n"
            f"      - {{name: 行业动态, url: '{base}{list_path}'}}\n", encoding="utf-8")
        for round_no in range(args.rounds):
            db = Path(tmp) / f"bench-{round_no}.db"
            env = dict(os.environ, PORTALS_FILE=str(portals), DATABASE_URL=f"sqlite:///{db}",
                       PYTHONPATH=str(ROOT))
            results["bare"].append(run("bare", str(urls_file), env))
            results["full"].append(run("full", "", env))
    server.stop()

    print(f"\n{'crawl':<6}{'pages':>7}{'stored':>8}{'pages/s':>10}{'CPU ms/page':>13}"
          f"{'(all procs)':>13}{'peak MB':>9}")
    rates = {}
    for mode in ("bare", "full"):
        best = max(results[mode], key=lambda r: r["pages"] / r["seconds"])
        rates[mode] = best["pages"] / best["seconds"]
        print(f"{mode:<6}{best['pages']:>7.0f}{best['stored']:>8.0f}{rates[mode]:>10.1f}"
              f"{1000 * best['cpu'] / best['pages']:>13.2f}"
              f"{1000 * best['cpu_all'] / best['pages']:>13.2f}{best['maxrss_mb']:>9.0f}")
        if best.get("worker_cpu_ms"):
            print(f"{'':<6}worker processes, CPU ms/page each: "
                  + ", ".join(f"{ms:.2f}" for ms in best["worker_cpu_ms"]))
    ratio = rates["full"] / rates["bare"]
    # Each round's full crawl against the bare crawl run just before it: on a shared machine
    # whose speed drifts between runs, the pairs are the fairer comparison.
    paired = [f["pages"] / f["seconds"] / (b["pages"] / b["seconds"])
              for b, f in zip(results["bare"], results["full"], strict=True)]
    print(f"\nfull / bare throughput: {ratio:.2f}x, best against best (target >= 0.50x)")
    if len(paired) > 1:
        print(f"each round, full / the bare crawl just before it: "
              f"{', '.join(f'{r:.2f}x' for r in paired)} (median {statistics.median(paired):.2f}x)")


if __name__ == "__main__":
    main()
