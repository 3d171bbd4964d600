"""Crawl throughput, CPU and memory: ``scrapy crawl portal`` against a bare Scrapy download.

Writes a realistic sample portal (default 1,000 articles of 50-100 KB: a long menu, a sidebar
of other headlines, inline scripts and styles, 6-12 paragraphs) as static files, serves them
with nginx on 127.0.0.1 (installed by ``make bench`` when missing), and in the same run times
whole processes, start-up included, until each exits:

- ``bare``: one Scrapy process, stock components, that only downloads the same URLs;
- ``full``: one ``scrapy crawl portal`` process, every pipeline on, into a fresh SQLite file;
- ``2 workers`` (when Redis answers on ``REDIS_URL``, default redis://127.0.0.1:6379/15): two
  ``scrapy crawl portal`` processes on one Redis frontier, into one fresh SQLite file; also
  checks from nginx's access log that no article URL was fetched twice and that every
  article was stored.

All at the same politeness (no delay, no AutoThrottle, 16 concurrent, 8 per host), so the
ratios measure the work per page. Prints pages/s, CPU ms per page and peak RSS per process
for each mode, and the ratios against ``bare`` (targets: full >= 0.5x, 2 workers >= 0.8x,
peak RSS <= 200 MB per process). ``bench/stages.py`` splits the CPU by pipeline stage.

Usage: ``python bench/crawl_throughput.py [--articles N] [--rounds R]``; each mode runs R
times, alternating, and the best round of each is compared (a shared machine's speed drifts).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.sites import build_gkong  # noqa: E402

POLITENESS = {
    "AUTOTHROTTLE_ENABLED": "0",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "WARNING",
}
NGINX_CONF = """
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    types {{ text/html html htm; text/plain txt; }}
    default_type text/html;
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root}/site;
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""


@dataclass
class Figures:
    mode: str
    pages: int
    wall: float
    cpu: float  # seconds, all processes of the mode
    peak_rss_mb: float  # the largest of its processes

    @property
    def rate(self) -> float:
        return self.pages / self.wall

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu / self.pages


def write_site(root: Path, articles: int) -> tuple[str, list[str]]:
    site = build_gkong(n_articles=articles, per_page=50, clutter=45_000, paragraphs=(6, 12),
                       menu_links=250, other_links=40)
    paths = []
    for path, page in site.pages.items():
        target = root / "site" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.body)
        if path != "/robots.txt":
            paths.append(path)
    return site.list_path, paths


def start_nginx(root: Path, port: int) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    (root / "tmp").mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port))
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(root)])
    import socket

    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise SystemExit("nginx did not start; see " + str(root / "error.log"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(commands: list[list[str]], env: dict[str, str],
          cwd: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds until the last process exits, CPU seconds of all, largest peak RSS (MB)."""
    started = time.monotonic()
    procs = [subprocess.Popen(c, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for c in commands]
    cpu, peak = 0.0, 0.0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.returncode not in (0,):
            raise SystemExit(f"{commands[0][:4]} failed ({proc.returncode}):\n{err[-3000:]}")
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, usage.ru_maxrss / 1024)
    return time.monotonic() - started, cpu, peak


def settings_args(extra: dict[str, str] | None = None) -> list[str]:
    args: list[str] = []
    for name, value in {**POLITENESS, **(extra or {})}.items():
        args += ["-s", f"{name}={value}"]
    return args


def bare(urls_file: Path, pages: int, env: dict[str, str]) -> Figures:
    spider = ROOT / "bench" / "bare_spider.py"
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a",
               f"urls_file={urls_file}", *settings_args({"ROBOTSTXT_OBEY": "1"})]
    # Run outside the checkout: no scrapy.cfg, so none of the project's settings apply.
    wall, cpu, peak = timed([command], env, cwd=urls_file.parent)
    return Figures("bare", pages, wall, cpu, peak)


def full(work: Path, profiles: Path, pages: int, env: dict[str, str], workers: int = 1,
         redis_url: str | None = None) -> tuple[Figures, Path]:
    db = work / f"full-{workers}-{time.monotonic_ns()}.db"
    run_env = dict(env, DATABASE_URL=f"sqlite:///{db}", PORTALS_FILE=str(profiles))
    extra = {"PORTAL_MAX_PAGES": "1000"}
    if redis_url:
        extra |= {"REDIS_URL": redis_url, "FRONTIER_KEY_PREFIX": f"bench-{time.time_ns()}"}
    command = [sys.executable, "-m", "scrapy", "crawl", "portal", *settings_args(extra)]
    wall, cpu, peak = timed([command] * workers, run_env)
    mode = "full" if workers == 1 else f"{workers} workers"
    return Figures(mode, pages, wall, cpu, peak), db


def stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def redis_answers(url: str) -> bool:
    """A Redis to share the frontier on, and the frontier support to use it."""
    try:
        import redis

        import crawler.frontier  # noqa: F401
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure: no Redis to measure with
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # nginx's workers (another user when started as root) read it
        list_path, paths = write_site(work, args.articles)
        port = free_port()
        nginx = start_nginx(work, port)
        try:
            base = f"http://127.0.0.1:{port}"
            urls_file = work / "urls.txt"
            urls_file.write_text("\n".join(base + p for p in paths))
            profiles = work / "portals.yaml"
            profiles.write_text(
                "portals:\n  - key: bench\n    name: 基准工控网\n    sections:\n"
                f"      - {{name: 行业动态, url: \"{base}{list_path}\"}}\n")
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            pages = len(paths)
            results: dict[str, list[Figures]] = {}
            with_redis = redis_answers(redis_url)
            for _ in range(args.rounds):
                results.setdefault("bare", []).append(bare(urls_file, pages, env))
                figures, db = full(work, profiles, pages, env)
                assert stored(db) == args.articles, f"stored {stored(db)} of {args.articles}"
                results.setdefault("full", []).append(figures)
                if with_redis:
                    log = work / "access.log"
                    log.write_text("")
                    os.kill(nginx.pid, 10)  # SIGUSR1: reopen the access log
                    time.sleep(0.2)
                    figures, db = full(work, profiles, pages, env, 2, redis_url)
                    fetched = Counter(line.split('"')[1].split()[1] for line in
                                      log.read_text().splitlines() if '"GET ' in line)
                    twice = [p for p, n in fetched.items() if n > 1 and "/20" in p]
                    assert not twice, f"{len(twice)} article URLs fetched twice: {twice[:3]}"
                    assert stored(db) == args.articles, f"stored {stored(db)} of {args.articles}"
                    results.setdefault("2 workers", []).append(figures)
        finally:
            nginx.terminate()
            nginx.wait()
    best = {mode: max(rounds, key=lambda f: f.rate) for mode, rounds in results.items()}
    print(f"{args.articles} articles, {pages} pages of 50-100 KB served by nginx on "
          f"127.0.0.1, {args.rounds} rounds, best of each:")
    print(f"{'mode':<10} {'pages/s':>8} {'vs bare':>8} {'wall s':>7} {'CPU ms/page':>12} "
          f"{'peak RSS MB/process':>20}")
    for mode, f in best.items():
        print(f"{mode:<10} {f.rate:8.0f} {f.rate / best['bare'].rate:7.2f}x {f.wall:7.2f} "
              f"{f.cpu_ms_per_page:12.2f} {f.peak_rss_mb:20.0f}")
    if "2 workers" not in best:
        print(f"(2 workers not measured: no Redis answering at {redis_url})")


if __name__ == "__main__":
    main()
