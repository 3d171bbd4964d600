"""Crawl throughput, CPU and memory: ``scrapy crawl portal`` against a bare Scrapy download.

Writes a realistic sample portal (default 1,000 articles of 50-100 KB: a long menu, a sidebar
of other headlines, inline scripts and styles, 6-12 paragraphs) as static files, serves them
with nginx on 127.0.0.1 (installed by ``make bench`` when missing), and in the same run times
whole processes, start-up included, until each exits:

- ``bare``: one Scrapy process, stock components, that only downloads the same URLs;
- ``full``: one ``scrapy crawl portal`` process, every pipeline on, into a fresh SQLite file;
- ``2 workers`` (when Redis answers on ``BENCH_REDIS_URL``, default redis://127.0.0.1:6379/15):
  two ``scrapy crawl portal`` processes on one Redis frontier, into one fresh SQLite file;
- ``full, PG`` and ``2 workers, PG`` (when PostgreSQL answers on ``--postgres``): the same
  into a fresh PostgreSQL database, the production case (two SQLite writers share one lock).

Every crawl is checked against nginx's access log (no article URL fetched twice) and the
database (every article stored). Besides the wall time to the last exit, each crawl's time to
its last stored article is reported (the issue's measure), how long after it each process
exited, and per process how long its main thread was idle (waiting for Redis, a lock or
work) and how long it waited for a core (/proc/PID/schedstat; the machine is shared).

All at the same politeness (no delay, no AutoThrottle, 16 concurrent, 8 per host), so the
ratios measure the work per page. Prints pages/s, CPU ms per page and peak RSS per process
for each mode, and the ratios against ``bare`` (targets: full >= 0.5x, 2 workers >= 0.8x,
peak RSS <= 200 MB per process). ``bench/stages.py`` splits the CPU by pipeline stage.

Usage: ``python bench/crawl_throughput.py [--articles N] [--rounds R]``; each mode runs R
times, alternating, each run right after a bare crawl of its own. Reported: the best run of
each mode, and each mode's ratio to the bare crawl just before it (median and range over the
rounds), the steadier figure on a shared machine whose speed drifts within seconds.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    wall: float  # start of the processes until the last one exits
    cpu: float  # seconds, all processes of the mode
    peak_rss_mb: float  # the largest of its processes
    exits: list[float] = field(default_factory=list)  # seconds from the start, per process
    idle: list[float] = field(default_factory=list)  # s per process neither running nor runnable
    waiting: list[float] = field(default_factory=list)  # s per process runnable, no free core
    last_stored: float | None = None  # seconds from the start to the last article's commit
    stored: int = 0  # articles in the database afterwards

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


def schedstat(pid: int) -> tuple[float, float] | None:
    """Seconds the process's main thread ran and waited for a core (Linux; else None)."""
    try:
        ran, waited, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return None
    return int(ran) / 1e9, int(waited) / 1e9


def timed(mode: str, pages: int, commands: list[list[str]], env: dict[str, str],
          cwd: Path = ROOT) -> Figures:
    """Start the processes together and follow them until each exits: wall time to the last
    exit, CPU of all, the largest peak RSS; per process its exit and the seconds its main
    thread was idle (neither running nor waiting for a core: waiting for Redis, a lock,
    work) and waited for a core (the machine is shared)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        procs = [subprocess.Popen(c, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
                 for c in commands]
        figures = Figures(mode, pages, 0.0, 0.0, 0.0)
        sched: dict[int, tuple[float, float]] = {}
        running = {proc.pid for proc in procs}
        deadline = started + 600
        while running:
            if time.monotonic() > deadline:
                for proc in procs:
                    proc.kill()
                raise SystemExit(f"{mode}: a process did not exit within 600 s")
            for pid in sorted(running):
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if not done:
                    sched[pid] = schedstat(pid) or sched.get(pid, (0.0, 0.0))
                    continue
                running.discard(pid)
                lived = time.monotonic() - started
                if os.waitstatus_to_exitcode(status) != 0:
                    err.seek(0)
                    tail = err.read().decode("utf-8", "replace")[-3000:]
                    raise SystemExit(f"{commands[0][:4]} failed ({status}):\n{tail}")
                figures.exits.append(lived)
                figures.cpu += usage.ru_utime + usage.ru_stime
                figures.peak_rss_mb = max(figures.peak_rss_mb, usage.ru_maxrss / 1024)
                if pid in sched:
                    ran, waited = sched[pid]
                    figures.waiting.append(waited)
                    figures.idle.append(max(0.0, lived - ran - waited))
            time.sleep(0.01)
    figures.wall = time.monotonic() - started
    return figures


def process_env(**extra: str) -> dict[str, str]:
    """The environment of the timed processes: the project's bytecode cached, as a user's
    install has it after its first run. A shell with ``PYTHONDONTWRITEBYTECODE`` set (some
    CI images set it) would make every crawl compile the project's ~150 modules again, ~0.1 s
    CPU of each start-up that no user pays; the modules are compiled once, untimed, instead."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for package in ("crawler", "pipelines"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    return env


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
    return timed("bare", pages, [command], env, cwd=urls_file.parent)


def full(mode: str, database_url: str, profiles: Path, pages: int, env: dict[str, str],
         workers: int = 1, redis_url: str | None = None) -> Figures:
    run_env = dict(env, DATABASE_URL=database_url, PORTALS_FILE=str(profiles))
    migrate(database_url)
    # Storage at its defaults: a database slower than the crawl holds the crawl back, as in
    # real use, instead of leaving a backlog to write after the last page.
    extra = {"PORTAL_MAX_PAGES": "1000"}
    if redis_url:
        extra |= {"REDIS_URL": redis_url, "FRONTIER_KEY_PREFIX": f"bench-{time.time_ns()}"}
    command = [sys.executable, "-m", "scrapy", "crawl", "portal", *settings_args(extra)]
    started = time.time()
    figures = timed(mode, pages, [command] * workers, run_env)
    count, last = stored(database_url)
    figures.stored = count
    figures.last_stored = last - started
    return figures


def migrate(database_url: str) -> None:
    """Create the schema before the timed run, as a production database has it: a fresh
    database's migrations are a one-time cost, and two processes migrating one fresh SQLite
    file at the same moment can fail ("database is locked" from ``PRAGMA journal_mode=WAL``,
    see docs/benchmarks.md)."""
    from crawler.storage.dburl import open_database

    open_database(database_url).dispose()


def stored(database_url: str) -> tuple[int, float]:
    """Articles stored, and when the last one was written (epoch seconds: the writer stamps
    each batch's rows with its time, in UTC)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            count, when = conn.execute(
                text("SELECT count(*), max(first_seen_at) FROM articles")).one()
    finally:
        engine.dispose()
    if isinstance(when, str):  # SQLite: naive UTC text
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(count), when.timestamp()


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database for one run, dropped afterwards; None without a server."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 2})
        with admin.connect() as conn:
            name = f"portal_bench_{os.getpid()}_{time.monotonic_ns()}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - any failure: no PostgreSQL to measure with
        yield None
        return
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="sqlite,postgres",
                        help="sqlite always; postgres too when a server answers (--postgres)")
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="an admin URL: each run gets a fresh database, dropped afterwards")
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
            env = process_env()
            pages = len(paths)
            results: dict[str, list[Figures]] = {}
            ran: list[tuple[int, Figures]] = []  # (round, figures) in the order they ran
            paired: dict[str, list[float]] = {}  # mode -> its ratio to the bare run before it
            with_redis = redis_answers(redis_url)
            with_pg = "postgres" in args.databases
            for round_ in range(args.rounds):
                runs: list[tuple[str, str, int]] = [("full", "sqlite", 1)]
                if with_redis:
                    runs.append(("2 workers", "sqlite", 2))
                if with_pg:
                    runs += [("full, PG", "postgres", 1)] + (
                        [("2 workers, PG", "postgres", 2)] if with_redis else [])
                for mode, database, workers in runs:
                    # The baseline runs right before each mode: the machine's speed drifts
                    # within a round (bare alone: 4.4-6.5 s in one run), and a bare crawl a
                    # minute earlier would measure the drift as much as the crawl.
                    before = bare(urls_file, pages, env)
                    results.setdefault("bare", []).append(before)
                    ran.append((round_, before))
                    log = work / "access.log"
                    log.write_text("")
                    os.kill(nginx.pid, 10)  # SIGUSR1: reopen the access log
                    time.sleep(0.2)
                    with postgres_database(args.postgres) if database == "postgres" \
                            else nullcontext(f"sqlite:///{work}/{mode}-{round_}.db") as url:
                        if url is None:
                            with_pg = False
                            print(f"(PostgreSQL not measured: none answering at "
                                  f"{args.postgres})")
                            break
                        figures = full(mode, url, profiles, pages, env, workers,
                                       redis_url if workers > 1 else None)
                    fetched = Counter(line.split('"')[1].split()[1] for line in
                                      log.read_text().splitlines() if '"GET ' in line)
                    twice = [p for p, n in fetched.items() if n > 1 and "/20" in p]
                    assert not twice, f"{mode}: {len(twice)} article URLs fetched twice: " \
                                      f"{twice[:3]}"
                    assert figures.stored == args.articles, \
                        f"{mode}: stored {figures.stored} of {args.articles}"
                    results.setdefault(mode, []).append(figures)
                    ran.append((round_, figures))
                    if figures.last_stored:
                        paired.setdefault(mode, []).append(
                            figures.pages / figures.last_stored / before.rate)
        finally:
            nginx.terminate()
            nginx.wait()
    report(results, ran, paired, args.articles, pages, args.rounds)
    if "2 workers" not in results:
        print(f"(2 workers not measured: no Redis answering at {redis_url})")


def report(results: dict[str, list[Figures]], ran: list[tuple[int, Figures]],
           paired: dict[str, list[float]], articles: int, pages: int, rounds: int) -> None:
    """Every run in the order it ran (the machine is shared: its speed drifts), the best of
    each mode, and each mode's ratio to the bare crawl run just before it."""
    print(f"{articles} articles, {pages} pages of 50-100 KB served by nginx on 127.0.0.1, "
          f"{rounds} rounds; every run in order (a bare crawl before each mode):")
    for round_, f in ran:
        extra = ""
        if f.last_stored is not None:
            extra += (f" | last article stored at {f.last_stored:.2f} s, exits "
                      f"{', '.join(f'+{e - f.last_stored:.2f}' for e in f.exits)} s")
        if f.idle:
            extra += (f" | per process idle {', '.join(f'{i:.2f}' for i in f.idle)} s, "
                      f"waiting for a core {', '.join(f'{w:.2f}' for w in f.waiting)} s")
        print(f"  {round_ + 1} {f.mode:<14} {f.rate:6.0f} pages/s, {f.wall:6.2f} s, "
              f"{f.cpu_ms_per_page:5.2f} ms CPU/page{extra}")
    best = {mode: max(runs, key=lambda f: f.rate) for mode, runs in results.items()}
    print("best of each:")
    print(f"{'mode':<14} {'pages/s':>8} {'vs bare':>8} {'wall s':>7} {'CPU ms/page':>12} "
          f"{'peak RSS MB/process':>20} {'to last stored: pages/s':>24} {'vs bare':>8}")
    for mode, f in best.items():
        to_stored = ""
        if f.last_stored is not None:
            rate = f.pages / f.last_stored
            to_stored = f" {rate:24.0f} {rate / best['bare'].rate:7.2f}x"
        print(f"{mode:<14} {f.rate:8.0f} {f.rate / best['bare'].rate:7.2f}x {f.wall:7.2f} "
              f"{f.cpu_ms_per_page:12.2f} {f.peak_rss_mb:20.0f}{to_stored}")
    # Each mode against the bare crawl run just before it (seconds apart): the machine's drift
    # cancels out, which best-of-each across rounds does not ensure.
    print("to the last stored article vs the bare crawl just before it "
          "(median, min-max over rounds):")
    for mode, ratios in paired.items():
        ratios = sorted(ratios)
        print(f"  {mode:<14} {statistics.median(ratios):5.2f}x "
              f"({ratios[0]:.2f}-{ratios[-1]:.2f}, {len(ratios)} rounds)")


if __name__ == "__main__":
    main()
