"""scheduler.py end to end: real scheduler processes, real crawls against the simulator.

Schedules are in seconds and grace periods/lease TTLs short so each test takes seconds; each
child crawl costs ~2 s of start-up here, so tests are built to need few of them.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pytest
import yaml
from sqlalchemy import Engine, delete, select

from crawler.schedule.child import run_child
from crawler.schedule.lease import Lease, crawl_leases
from crawler.schedule.logfiles import prune
from crawler.storage.engine import make_engine, upgrade_database
from crawler.storage.tables import crawl_runs as runs_table
from crawler.storage.tables import utcnow
from simulator.server import PortalSimulator
from simulator.sites import build_autonet, build_gkong
from tests.conftest import ROOT, TEST_SETTINGS

SCHEDULER = ROOT / "scheduler.py"
DOCS = ROOT / "README.md"
SHANGHAI = ZoneInfo("Asia/Shanghai")


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def two_sites() -> Iterator[PortalSimulator]:
    with PortalSimulator([build_gkong(), build_autonet()]) as sim:
        yield sim


@pytest.fixture
def one_site() -> Iterator[PortalSimulator]:
    with PortalSimulator([build_gkong()]) as sim:
        yield sim


def write_profiles(path: Path, sim: PortalSimulator | None, schedule: dict[str, object] | None,
                   extra: list[dict[str, object]] | None = None,
                   keep: set[str] | None = None) -> Path:
    """Profiles pointing at the simulator; written atomically (a crawl may be reading it)."""
    doc: dict[str, object] = sim.profiles(schedule) if sim else {"portals": []}
    portals = [p for p in doc["portals"] if keep is None or p["key"] in keep]  # type: ignore[index]
    doc["portals"] = portals + (extra or [])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return path


def scheduler_args(db: str, portals: Path, logs: Path, *extra: str) -> list[str]:
    args = [sys.executable, str(SCHEDULER), "--portals-file", str(portals), "--database-url", db,
            "--logs-dir", str(logs), "--stop-grace", "1", "--kill-grace", "1",
            "--lease-ttl", "3", "--heartbeat", "0.5"]
    for name, value in TEST_SETTINGS.items():
        args += ["-s", f"{name}={value}"]
    return args + list(extra)


class Scheduler:
    """A ``python scheduler.py`` service process, its stderr kept in a file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self._log.close()

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"event=finish .*? pid=(\d+)", self.log)]


def run_cli(*args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCHEDULER), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


def engine_for(url: str) -> Engine:
    engine = make_engine(url)
    upgrade_database(engine)
    return engine


def all_runs(url: str) -> list[dict[str, object]]:
    engine = make_engine(url, writer=False)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(runs_table).order_by(runs_table.c.id))]
    except Exception:  # noqa: BLE001 - tables not created yet
        return []
    finally:
        engine.dispose()


def leases(url: str) -> list[dict[str, object]]:
    engine = make_engine(url, writer=False)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(crawl_leases))]
    finally:
        engine.dispose()


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             log: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{log()[-4000:]}" if log else ""))


def finished(url: str, portal: str, status: str) -> list[dict[str, object]]:
    return [r for r in all_runs(url) if r["portal"] == portal and r["status"] == status]


def assert_no_overlap(rows: list[dict[str, object]]) -> None:
    """No two real runs (not skipped) of one portal overlap in time."""
    by_portal: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        if row["status"] != "skipped":
            by_portal.setdefault(str(row["portal"]), []).append(row)
    for portal, portal_rows in by_portal.items():
        spans = sorted((r["started_at"], r["finished_at"]) for r in portal_rows)
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            assert e1 is not None and e1 <= s2, f"{portal}: overlapping runs {spans}"


def assert_children_gone(pids: list[int]) -> None:
    for pid in pids:
        if psutil.pid_exists(pid):
            assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"crawl {pid} left"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- configuration: --list, invalid schedules -------------------------------------------------


def test_list_prints_every_job_with_its_next_run(tmp_path: Path) -> None:
    portals = tmp_path / "portals.yaml"
    portals.write_text(yaml.safe_dump({
        "defaults": {"schedule": {"interval": "2h"}},
        "portals": [
            {"key": "every90", "name": "A", "sections": [{"name": "s", "url": "http://a.test/"}],
             "schedule": {"interval": "90s", "timeout": "5m"}},
            {"key": "croned", "name": "B", "sections": [{"name": "s", "url": "http://b.test/"}],
             "schedule": {"cron": "*/15 * * * *", "timezone": "UTC"}},
            {"key": "defaulted", "name": "C", "sections": [{"name": "s", "url": "http://c.test/"}]},
            {"key": "off", "name": "D", "enabled": False,
             "sections": [{"name": "s", "url": "http://d.test/"}]},
        ]}), encoding="utf-8")
    result = run_cli("--list", "--portals-file", str(portals),
                     "--database-url", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == {"every90", "croned", "defaulted"}
    assert "every 90s (Asia/Shanghai)" in lines["every90"] and "timeout 300s" in lines["every90"]
    assert "cron '*/15 * * * *' (UTC)" in lines["croned"]
    assert re.search(r"next run \d{4}-\d\d-\d\d \d\d:(00|15|30|45):00 UTC", lines["croned"])
    assert "every 7200s (Asia/Shanghai)" in lines["defaulted"]
    assert re.search(r"next run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CST", lines["defaulted"])
    assert not (tmp_path / "none.db").exists()  # listing does not create a database


def test_invalid_schedule_fails_at_start_naming_the_portal_and_the_fix(tmp_path: Path) -> None:
    portals = tmp_path / "portals.yaml"
    portals.write_text(yaml.safe_dump({"portals": [
        {"key": "badone", "name": "A", "sections": [{"name": "s", "url": "http://a.test/"}],
         "schedule": {"interval": "30 minutes"}}]}), encoding="utf-8")
    for mode in ([], ["--once"], ["--list"]):
        result = run_cli(*mode, "--portals-file", str(portals),
                         "--database-url", f"sqlite:///{tmp_path / 'x.db'}", timeout=30)
        assert result.returncode == 2, (mode, result.stderr)
        assert "portals[badone].schedule.interval" in result.stderr
        assert "fix: write a number and a unit" in result.stderr
    assert not (tmp_path / "x.db").exists()  # failed before touching anything


def test_unreachable_database_at_start_is_one_line_and_exit_1(tmp_path: Path) -> None:
    portals = tmp_path / "portals.yaml"
    portals.write_text(yaml.safe_dump({"portals": [
        {"key": "aa", "name": "A", "sections": [{"name": "s", "url": "http://a.test/"}]}]}),
        encoding="utf-8")
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    for mode in ([], ["--once"]):
        result = run_cli(*mode, "--portals-file", str(portals), "--database-url", url,
                         timeout=60)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("scheduler.py: database unavailable: ")
        assert len(result.stderr.strip().splitlines()) == 1


def test_due_and_first_run_rules_for_interval_and_cron() -> None:
    from datetime import UTC, datetime

    from crawler.config.profiles import Schedule
    from crawler.schedule.jobs import first_run, is_due

    now = datetime(2026, 11, 27, 2, 30, 1, tzinfo=UTC)  # 10:30:01 in Shanghai
    half_hour = Schedule(interval_seconds=1800)
    # A crontab firing every 30 min finds a run that started 2 s late last time due.
    assert is_due(half_hour, now - timedelta(minutes=29, seconds=59), now)
    assert not is_due(half_hour, now - timedelta(minutes=20), now)
    assert is_due(half_hour, None, now)
    cron = Schedule(cron="15 */2 * * *")  # 00:15, 02:15, ... Shanghai time
    assert is_due(cron, datetime(2026, 11, 27, 0, 30, tzinfo=UTC), now)  # 10:15 passed since
    assert not is_due(cron, datetime(2026, 11, 27, 2, 15, 3, tzinfo=UTC), now)
    # A restart: an interval portal resumes at last start + interval, or now if that is past.
    assert first_run(half_hour, now - timedelta(minutes=10), now) == now + timedelta(minutes=20)
    assert first_run(half_hour, now - timedelta(hours=5), now) == now
    assert first_run(cron, None, now) == datetime(2026, 11, 27, 4, 15, tzinfo=UTC)


# -- the lease --------------------------------------------------------------------------------


def test_lease_acquire_is_atomic_renewable_and_expires(db_url: str) -> None:
    engine = engine_for(db_url)
    try:
        winners: list[str] = []
        barrier = threading.Barrier(6)

        def contend(name: str) -> None:
            own = make_engine(db_url)  # its own connections, as another process would have
            try:
                barrier.wait()
                if Lease(own, "gkong", name, 30).acquire():
                    winners.append(name)
            finally:
                own.dispose()

        threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(winners) == 1
        winner = Lease(engine, "gkong", winners[0], 30)
        loser = Lease(engine, "gkong", "someone-else", 0.5)
        assert winner.renew() and not loser.renew()
        loser.release()  # not its lease: must not free it
        assert not loser.acquire()
        # A crashed holder stops renewing: after the TTL, the lease can be taken over.
        crashed = Lease(engine, "autonet", "crashed", 0.3)
        assert crashed.acquire()
        time.sleep(0.5)
        taker = Lease(engine, "autonet", "taker", 30)
        assert taker.acquire()
        assert not crashed.renew()  # the crashed holder learns it lost the lease
        crashed.release()
        assert taker.current() is not None and taker.current().holder == "taker"
        taker.release()
        assert taker.current() is None
    finally:
        engine.dispose()


# -- the service ------------------------------------------------------------------------------


def test_interval_schedule_runs_each_portal_repeatedly_never_overlapping(
        two_sites: PortalSimulator, db_url: str, tmp_path: Path) -> None:
    portals = write_profiles(tmp_path / "portals.yaml", two_sites, {"interval": "1s"})
    logs = tmp_path / "logs"
    sched = Scheduler(scheduler_args(db_url, portals, logs, "--keep-logs", "2"),
                      tmp_path / "scheduler.log")
    try:
        wait_for(lambda: all(len(finished(db_url, k, "ok")) >= 3 for k in ("gkong", "autonet")),
                 90, "3 ok runs per portal", lambda: sched.log)
        assert sched.proc.poll() is None
    finally:
        code = sched.stop()
    assert code == 0, sched.log[-3000:]
    rows = all_runs(db_url)
    assert {r["trigger"] for r in rows} == {"schedule"}
    assert {r["status"] for r in rows} <= {"ok", "skipped", "killed"}
    assert_no_overlap(rows)
    # A 1 s interval is shorter than a crawl: the run due meanwhile is skipped and recorded.
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert skipped and all("max_instances=1" in str(r["message"]) for r in skipped)
    assert "event=skip portal=" in sched.log and "event=finish portal=" in sched.log
    # Incremental re-runs: every article once, the later runs find only known ones.
    total = sum(len(site.articles) for site in two_sites.sites)
    assert sum(int(r["items_new"]) for r in rows) == total  # type: ignore[call-overload]
    for key in ("gkong", "autonet"):
        assert len(list((logs / key).glob("*.log"))) <= 2  # pruned to --keep-logs
    assert leases(db_url) == []
    assert_children_gone(sched.child_pids())


def test_two_scheduler_processes_never_crawl_one_portal_at_once(
        one_site: PortalSimulator, db_url: str, tmp_path: Path) -> None:
    portals = write_profiles(tmp_path / "portals.yaml", one_site, {"interval": "1s"})
    engine_for(db_url).dispose()  # both start on a ready schema (they would serialise anyway)
    first = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs1"), tmp_path / "s1.log")
    second = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs2"), tmp_path / "s2.log")
    try:
        wait_for(lambda: len(finished(db_url, "gkong", "ok")) >= 4
                 and any("lease held by" in str(r["message"]) for r in all_runs(db_url)),
                 90, "4 ok runs and a lease skip", lambda: first.log + second.log)
    finally:
        codes = (first.stop(), second.stop())
    assert codes == (0, 0)
    rows = all_runs(db_url)
    assert_no_overlap(rows)
    lease_skips = [r for r in rows if "lease held by" in str(r["message"])]
    assert all(r["status"] == "skipped" for r in lease_skips)
    assert leases(db_url) == []


def test_hung_crawl_is_killed_recorded_and_the_next_run_follows(tmp_path: Path) -> None:
    site = build_gkong()
    site.pages[site.list_path].hang = True
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    with PortalSimulator([site]) as sim:
        portals = write_profiles(tmp_path / "portals.yaml", sim,
                                 {"interval": "1s", "timeout": "2s"})
        sched = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs", "--timeout", "60"),
                          tmp_path / "scheduler.log")
        try:
            wait_for(lambda: len(finished(db_url, "gkong", "killed")) >= 2, 60,
                     "two killed runs", lambda: sched.log)
        finally:
            code = sched.stop()
    assert code == 0
    killed = finished(db_url, "gkong", "killed")
    for row in killed[:2]:
        assert str(row["message"]).startswith("timeout after 2s, stopped with SIG")
        assert row["finished_at"] is not None
        duration = (row["finished_at"] - row["started_at"]).total_seconds()  # type: ignore[operator]
        assert 2 <= duration < 15
    assert re.search(r"event=kill portal=gkong run_id=\d+ reason=\"timeout after 2s\"", sched.log)
    assert_no_overlap(all_runs(db_url))
    assert leases(db_url) == []
    assert_children_gone(sched.child_pids())


def test_crashing_portal_is_recorded_failed_while_the_other_keeps_its_schedule(
        two_sites: PortalSimulator, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    portals = write_profiles(tmp_path / "portals.yaml", two_sites, {"interval": "1s"})
    sched = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs"),
                      tmp_path / "scheduler.log")
    try:
        wait_for(lambda: finished(db_url, "autonet", "ok"), 60, "a first autonet run")
        # The profile disappears under the scheduler: every autonet crawl now dies at start.
        write_profiles(portals, two_sites, {"interval": "1s"}, keep={"gkong"})

        def gkong_ok_after_failure() -> bool:
            failed = finished(db_url, "autonet", "failed")
            return bool(failed) and any(r["started_at"] > failed[0]["started_at"]  # type: ignore[operator]
                                        for r in finished(db_url, "gkong", "ok"))

        wait_for(gkong_ok_after_failure, 60, "autonet failing, gkong going on", lambda: sched.log)
        assert sched.proc.poll() is None
    finally:
        code = sched.stop()
    assert code == 0
    failed = finished(db_url, "autonet", "failed")[0]
    assert "crawl exited with code 2 without recording its end" in str(failed["message"])
    assert "portals[autonet]" in str(failed["message"])  # the last log line says why
    assert failed["finished_at"] is not None


def test_database_outage_is_survived_and_runs_resume(one_site: PortalSimulator,
                                                     postgres_url: str, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from tests.conftest import _pg_admin_url

    name = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(str(_pg_admin_url()), isolation_level="AUTOCOMMIT")
    portals = write_profiles(tmp_path / "portals.yaml", one_site, {"interval": "1s"})
    sched = Scheduler(scheduler_args(postgres_url, portals, tmp_path / "logs"),
                      tmp_path / "scheduler.log")
    try:
        wait_for(lambda: finished(postgres_url, "gkong", "ok"), 60, "a first run")
        with admin.connect() as conn:  # the database goes away for a few seconds
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name"), {"name": name})
        outage_started = utcnow()
        wait_for(lambda: "database unavailable" in sched.log, 30, "a run failing on the outage",
                 lambda: sched.log)
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        wait_for(lambda: any(r["started_at"] > outage_started  # type: ignore[operator]
                             for r in finished(postgres_url, "gkong", "ok")), 60,
                 "an ok run after the outage", lambda: sched.log)
        assert sched.proc.poll() is None
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()
        code = sched.stop()
    assert code == 0
    assert re.search(r"event=fail portal=gkong reason=\"database unavailable", sched.log)
    assert not [r for r in all_runs(postgres_url) if r["status"] == "running"]


def test_sigterm_during_a_crawl_stops_it_after_the_grace_and_records_it(tmp_path: Path) -> None:
    site = build_gkong()
    site.pages[site.list_path].hang = True
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    with PortalSimulator([site]) as sim:
        portals = write_profiles(tmp_path / "portals.yaml", sim, {"interval": "1h"})
        sched = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs"),
                          tmp_path / "scheduler.log")
        try:
            wait_for(lambda: finished(db_url, "gkong", "running")
                     and list((tmp_path / "logs" / "gkong").glob("*.log")), 30, "a running crawl")
            time.sleep(2.5)  # the crawl is up and stuck on the list page
            started = time.monotonic()
            sched.proc.send_signal(signal.SIGTERM)
            code = sched.proc.wait(20)
            took = time.monotonic() - started
        finally:
            sched.stop()
    assert code == 0
    assert took < 15  # stop grace 1 s + kill grace 1 s + bookkeeping (on a busy machine)
    (row,) = all_runs(db_url)
    assert row["status"] == "killed"
    assert str(row["message"]).startswith("scheduler stopping")
    assert row["finished_at"] is not None
    assert "event=stop_requested signal=SIGTERM" in sched.log
    assert "event=scheduler_stop" in sched.log
    assert leases(db_url) == []
    assert_children_gone(sched.child_pids())


def test_restart_after_a_crash_marks_left_running_rows_and_does_not_burst(
        one_site: PortalSimulator, tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    portals = write_profiles(tmp_path / "portals.yaml", one_site, {"interval": "1h"},
                             extra=[{"key": "other", "name": "O", "schedule": {"interval": "1h"},
                                     "sections": [{"name": "s", "url": "http://127.0.0.1:9/"}]}])
    engine = engine_for(db_url)
    now = utcnow()
    with engine.begin() as conn:
        # The machine died 10 minutes into a scheduled gkong run: row running, lease expired.
        conn.execute(runs_table.insert(), [
            {"portal": "gkong", "trigger": "schedule", "status": "running",
             "started_at": now - timedelta(minutes=10)},
            # 'other' is being crawled right now by a live scheduler elsewhere: leave it alone.
            {"portal": "other", "trigger": "schedule", "status": "running",
             "started_at": now - timedelta(seconds=5)},
            # A manual crawl holds no lease: not the scheduler's to judge.
            {"portal": "gkong", "trigger": "manual", "status": "running",
             "started_at": now - timedelta(minutes=20)},
        ])
        conn.execute(crawl_leases.insert(), [
            {"portal": "gkong", "holder": "dead:1:x", "acquired_at": now - timedelta(minutes=10),
             "expires_at": now - timedelta(minutes=8), "heartbeat_at": now - timedelta(minutes=9)},
            {"portal": "other", "holder": "alive:2:y", "acquired_at": now,
             "expires_at": now + timedelta(minutes=2), "heartbeat_at": now},
        ])
    engine.dispose()
    sched = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs"),
                      tmp_path / "scheduler.log")
    try:
        wait_for(lambda: "event=scheduler_start" in sched.log, 20, "the start",
                 lambda: sched.log)
        time.sleep(3)  # a burst would start crawls right away
    finally:
        assert sched.stop() == 0
    rows = {(r["portal"], r["trigger"]): r for r in all_runs(db_url)}
    assert len(all_runs(db_url)) == 3  # nothing ran: both portals ran < 1 h ago
    orphan = rows[("gkong", "schedule")]
    assert orphan["status"] == "failed" and "left running" in str(orphan["message"])
    assert rows[("other", "schedule")]["status"] == "running"
    assert rows[("gkong", "manual")]["status"] == "running"
    assert "event=recover" in sched.log
    # The schedule resumes from the last start: next gkong run 1 h after the crashed one began.
    listed = run_cli("--list", "--portals-file", str(portals), "--database-url", db_url)
    gkong_line = next(x for x in listed.stdout.splitlines() if x.startswith("gkong"))
    expected = orphan["started_at"] + timedelta(hours=1)  # type: ignore[operator]
    assert f"next run {expected.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S} CST" in gkong_line


def test_killed_scheduler_takes_its_crawl_along_and_the_next_start_settles_the_row(
        tmp_path: Path) -> None:
    site = build_gkong()
    site.pages[site.list_path].hang = True
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    with PortalSimulator([site]) as sim:
        portals = write_profiles(tmp_path / "portals.yaml", sim, {"interval": "1h"})
        # A download timeout far beyond the wait below: only the scheduler's death can end it.
        sched = Scheduler(scheduler_args(db_url, portals, tmp_path / "logs",
                                         "-s", "DOWNLOAD_TIMEOUT=120"),
                          tmp_path / "scheduler.log")
        try:
            wait_for(lambda: finished(db_url, "gkong", "running")
                     and psutil.Process(sched.proc.pid).children(), 30, "a running crawl")
            crawls = [c.pid for c in psutil.Process(sched.proc.pid).children()]
            time.sleep(1.5)
            sched.proc.kill()  # a crash: no chance to stop or record anything
            sched.proc.wait(10)
        finally:
            sched.stop()
        # The crawl does not outlive the scheduler (it could keep crawling past the lease).
        wait_for(lambda: all(not psutil.pid_exists(pid) or psutil.Process(pid).status()
                             == psutil.STATUS_ZOMBIE for pid in crawls), 30, "crawl gone")
        time.sleep(3.5)  # the dead scheduler's lease (TTL 3 s) expires
        once = run_cli(*scheduler_args(db_url, portals, tmp_path / "logs", "--once")[2:])
    assert once.returncode == 0, once.stdout + once.stderr  # not due: it started < 1 h ago
    (row,) = all_runs(db_url)
    # Either the crawl recorded its own end on the way out, or the restart marked it failed.
    assert row["status"] in ("killed", "failed"), row
    assert row["finished_at"] is not None


# -- one-shot and status ----------------------------------------------------------------------


def test_once_exit_codes_due_selection_and_summary(one_site: PortalSimulator,
                                                   tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    dead = {"key": "dead", "name": "Down", "schedule": {"interval": "1h"},
            "sections": [{"name": "s", "url": f"http://127.0.0.1:{free_port()}/news/"}]}
    portals = write_profiles(tmp_path / "portals.yaml", one_site, {"interval": "1h"},
                             extra=[dead])
    base = scheduler_args(db_url, portals, tmp_path / "logs", "--once")[2:]
    # Both due (never run): gkong succeeds, dead reaches no list page -> exit 1 + summary.
    result = run_cli(*base)
    assert result.returncode == 1, result.stderr[-3000:]
    (summary,) = result.stdout.splitlines()
    assert summary.startswith("once: 1 ok, 1 failed/killed, 0 skipped -- dead=failed")
    status = {r["portal"]: r for r in all_runs(db_url)}
    assert status["gkong"]["status"] == "ok" and status["gkong"]["trigger"] == "schedule"
    assert "no section list page could be fetched" in str(status["dead"]["message"])
    # Nothing is due an hour-interval later than a minute ago: no crawl, exit 0, one line.
    result = run_cli(*base)
    assert (result.returncode, result.stdout) == (0, "once: nothing due\n")
    assert len(all_runs(db_url)) == 2
    # Named portals run regardless of being due.
    result = run_cli(*base, "--portal", "gkong")
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert [r["status"] for r in all_runs(db_url)].count("ok") == 2
    # Another process holds the lease: skipped, recorded, exit 3.
    engine = engine_for(db_url)
    assert Lease(engine, "gkong", "elsewhere:1:z", 60).acquire()
    result = run_cli(*base, "--portal", "gkong")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "gkong=skipped" in result.stdout
    assert all_runs(db_url)[-1]["status"] == "skipped"
    with engine.begin() as conn:
        conn.execute(delete(crawl_leases))
    engine.dispose()
    # An unknown portal is a configuration error.
    assert run_cli(*base, "--portal", "nosuch").returncode == 2


def test_status_reports_last_runs_and_exits_non_zero_when_failed_or_overdue(
        tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    portals = tmp_path / "portals.yaml"
    portals.write_text(yaml.safe_dump({"portals": [
        {"key": key, "name": key, "schedule": {"interval": "10m"},
         "sections": [{"name": "s", "url": f"http://{key}.test/"}]} for key in ("aa", "bb")]}),
        encoding="utf-8")
    engine = engine_for(db_url)
    now = utcnow()

    def add(portal: str, status: str, minutes_ago: float, message: str | None = None) -> None:
        with engine.begin() as conn:
            conn.execute(runs_table.insert().values(
                portal=portal, trigger="schedule", status=status, items_new=7, items_duplicate=2,
                errors=1, message=message, started_at=now - timedelta(minutes=minutes_ago),
                finished_at=now - timedelta(minutes=minutes_ago) + timedelta(seconds=42)))

    def status() -> subprocess.CompletedProcess[str]:
        return run_cli("--status", "--portals-file", str(portals), "--database-url", db_url)

    add("aa", "ok", 5)
    result = status()
    assert result.returncode == 1 and "NEVER RUN" in result.stdout  # bb never ran
    add("bb", "ok", 3)
    add("bb", "skipped", 1, "lease held")  # a skip is not a run
    result = status()
    assert result.returncode == 0, result.stdout
    line = next(x for x in result.stdout.splitlines() if x.startswith("aa"))
    assert re.search(r"aa\s+\S+ \S+\s+ok\s+7\s+2\s+1\s+42.0s\s+OK$", line), line
    add("bb", "failed", 1, "no section list page could be fetched")
    result = status()
    assert result.returncode == 1 and "FAILED (no section list page" in result.stdout
    add("bb", "ok", 0.5)
    with engine.begin() as conn:
        conn.execute(delete(runs_table).where(runs_table.c.portal == "aa"))
    add("aa", "ok", 25)  # older than 2 x 10 min: the scheduler is down or stuck
    result = status()
    assert result.returncode == 1, result.stdout
    assert re.search(r"^aa .* OVERDUE \(last start 15\d\ds ago, expected every 600s\)$",
                     result.stdout, re.M), result.stdout
    engine.dispose()


# -- child process control and log pruning ----------------------------------------------------


def test_child_ignoring_sigterm_is_killed_with_its_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "g = subprocess.Popen([sys.executable, '-c', "
        "'import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(g.pid))\n"
        "print('working', flush=True)\n"
        "time.sleep(60)\n"
    )
    result = run_child([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ),
                       log_path=tmp_path / "child.log", timeout=1.5, kill_grace=0.5,
                       stop_event=threading.Event(), stop_grace=1)
    assert result.killed_reason == "timeout after 1.5s"
    assert result.signal_used == "SIGKILL"
    assert result.returncode == -signal.SIGKILL
    assert 2 <= result.duration < 6
    grandchild = int(pid_file.read_text())
    wait_for(lambda: not psutil.pid_exists(grandchild)
             or psutil.Process(grandchild).status() == psutil.STATUS_ZOMBIE, 5, "grandchild gone")
    assert "working" in (tmp_path / "child.log").read_text()


def test_log_pruning_keeps_the_newest_per_portal_and_caps_the_total(tmp_path: Path) -> None:
    for portal in ("aa", "bb"):
        (tmp_path / portal).mkdir()
        for i in range(5):
            path = tmp_path / portal / f"2026010{i}T000000-run{i}.log"
            path.write_bytes(b"x" * 1000)
            os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    prune(tmp_path, keep_per_portal=3, max_total_bytes=10_000)
    assert sorted(p.name[:9] for p in (tmp_path / "aa").glob("*.log")) == \
        ["20260102T", "20260103T", "20260104T"]
    prune(tmp_path, keep_per_portal=3, max_total_bytes=4_500)
    remaining = sorted(tmp_path.rglob("*.log"))
    assert len(remaining) == 4  # 4 x 1000 bytes fit under the cap, the oldest went
    assert all(int(p.name[7]) >= 3 for p in remaining)


# -- the documented deployment ----------------------------------------------------------------


def test_crontab_line_from_the_docs_works_as_written(one_site: PortalSimulator,
                                                     tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    (line,) = [x for x in text.splitlines() if re.match(r"^\S+ \S+ \S+ \S+ \S+ cd ", x)]
    assert line == "*/30 * * * * cd /srv/crawler && .venv/bin/python scheduler.py --once >/dev/null"
    command = line.split(None, 5)[5].replace("/srv/crawler", shlex.quote(str(ROOT)))
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    portals = write_profiles(tmp_path / "portals.yaml", one_site, {"interval": "30m"})
    env = dict(os.environ, DATABASE_URL=db_url, PORTALS_FILE=str(portals),
               SCHEDULER_LOGS_DIR=str(tmp_path / "logs"))
    result = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert (result.stdout, result.stderr) == ("", "")  # cron mails only trouble
    (row,) = all_runs(db_url)
    assert (row["status"], row["trigger"], row["items_new"]) == ("ok", "schedule", 12)
    again = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0 and len(all_runs(db_url)) == 1  # not due again yet


def test_systemd_unit_from_the_docs_is_complete_and_its_command_runs(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    unit = re.search(r"```ini\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    sections: dict[str, dict[str, list[str]]] = {}
    current = ""
    for raw in unit.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
            continue
        key, _, value = line.partition("=")
        sections[current].setdefault(key, []).append(value)
    assert set(sections) == {"Unit", "Service", "Install"}
    service = sections["Service"]
    assert service["KillMode"] == ["mixed"]
    assert service["WorkingDirectory"] == ["/srv/crawler"]
    exec_start = shlex.split(service["ExecStart"][0])
    stop = float(exec_start[exec_start.index("--stop-grace") + 1])
    kill = float(exec_start[exec_start.index("--kill-grace") + 1])
    assert float(service["TimeoutStopSec"][0]) > stop + kill
    assert service["RestartPreventExitStatus"] == ["2"]
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]
    # The command itself, with the checkout path substituted (no systemd in the test machine).
    argv = [a.replace("/srv/crawler", str(ROOT)) for a in exec_start] + ["--list"]
    portals = tmp_path / "portals.yaml"
    portals.write_text(yaml.safe_dump({"portals": [
        {"key": "aa", "name": "A", "sections": [{"name": "s", "url": "http://a.test/"}]}]}),
        encoding="utf-8")
    env = dict(os.environ, PORTALS_FILE=str(portals),
               DATABASE_URL=f"sqlite:///{tmp_path / 'portal.db'}")
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("aa ")
