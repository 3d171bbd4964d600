"""PostgreSQL refused, stalled or cut under a real crawl, through a proxy (``pg_proxy``).

Mid-crawl and at the end, for ~5 s, ~30 s and for good: the crawl keeps downloading (what it
cannot store goes to the spool), ends within a bounded time with the status and exit code
that say what happened (1 when the database was away at its end), and plain runs with the
database back store every simulator article exactly once and leave no run ``running``.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from simulator.server import PortalSimulator
from simulator.sites import build_gkong
from tests.conftest import ROOT, crawl_command, run_crawl
from tests.faults.pg_proxy import PgProxy

ARTICLES, PER_PAGE = 40, 5
# One list or article page every 0.25 s: ~12 s of crawling, long enough to be hit mid-way.
CRAWL_SETTINGS = {"DOWNLOAD_DELAY": "0.25", "CONCURRENT_REQUESTS": "2", "STORAGE_BATCH_SIZE": "4",
                  "STORAGE_PROBE_INTERVAL": "0.5", "STORAGE_CLOSE_RETRY_DELAY": "1"}
# Short bounded waits, so that a stalled database costs seconds here, not the defaults' 35.
DB_ENV = {"DB_CONNECT_TIMEOUT": "2", "DB_CLIENT_TIMEOUT": "3"}
ENDS_WITHIN = 120.0  # seconds from the fault to the faulted crawl's exit, whatever happens


@pytest.fixture
def portal(tmp_path: Path):
    with PortalSimulator([build_gkong(n_articles=ARTICLES, per_page=PER_PAGE)]) as sim:
        yield sim, sim.write_profiles(tmp_path / "portals.yaml")


@pytest.fixture
def proxy():
    with PgProxy() as running:
        yield running


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    except Exception:  # noqa: BLE001 - the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def _stored(url: str) -> Counter[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        urls = Counter(r[0] for r in conn.execute(text("SELECT url FROM articles")))
    engine.dispose()
    return urls


def _inject(proxy: PgProxy, fault: str) -> None:
    {"refused": proxy.refuse, "stalled": proxy.stall,
     "cut": lambda: proxy.cut(then="refuse")}[fault]()


def _spool_empty(spool: Path) -> bool:
    return not list(spool.glob("spool-*.jsonl"))


def run_outage(postgres_url: str, proxy: PgProxy, portal, tmp_path: Path, monkeypatch,
               fault: str, when: str, seconds: float | None,
               sigterm_after: float | None = None) -> dict[str, object]:
    """One faulted crawl, then plain runs until every article is stored; what happened."""
    sim, portals = portal
    spool = tmp_path / "spool"
    monkeypatch.setenv("STORAGE_SPOOL_DIR", str(spool))
    for name, value in DB_ENV.items():
        monkeypatch.setenv(name, value)
    crawl_url = proxy.url(postgres_url)
    command, env = crawl_command(crawl_url, portals, "max_pages=20", settings=CRAWL_SETTINGS)
    log_path = tmp_path / "faulted.log"
    with open(log_path, "w") as log:
        crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, text=True)
        # Mid-crawl: after a few batches; at the end: with the last articles still to store.
        threshold = 8 if when == "mid" else ARTICLES - 8
        deadline = time.monotonic() + 90
        while (_scalar(postgres_url, "SELECT count(*) FROM articles") < threshold
               and crawl.poll() is None and time.monotonic() < deadline):
            time.sleep(0.05)
        assert crawl.poll() is None, "the crawl ended before the fault: " + log_path.read_text()
        injected = time.monotonic()
        _inject(proxy, fault)
        back: dict[str, float] = {}

        def heal() -> None:
            proxy.pass_()
            back["at"] = time.monotonic()

        timer = threading.Timer(seconds, heal) if seconds is not None else None
        if timer is not None:
            timer.start()
        if sigterm_after is not None:
            time.sleep(sigterm_after)
            crawl.send_signal(signal.SIGTERM)
        try:
            crawl.wait(timeout=ENDS_WITHIN)
        except subprocess.TimeoutExpired:
            crawl.kill()
            crawl.wait()
            if timer is not None:
                timer.cancel()
            raise AssertionError(f"the crawl did not end within {ENDS_WITHIN:.0f} s of the "
                                 "fault: " + log_path.read_text()[-3000:]) from None
    exited = time.monotonic()
    ended_after = exited - injected
    if timer is not None:
        timer.join()  # an outage longer than the crawl: the database is back only then
    else:  # for good (as far as the faulted crawl is concerned)
        heal()
    faulted_log = log_path.read_text()

    plain_runs = 0
    while len(_stored(postgres_url)) < ARTICLES or not _spool_empty(spool):
        assert plain_runs < 4, "plain runs did not store every article"
        result = run_crawl(crawl_url, portals, settings=CRAWL_SETTINGS | {"DOWNLOAD_DELAY": "0"})
        assert result.returncode == 0, result.log[-3000:]
        plain_runs += 1
    recover = time.monotonic() - back["at"]

    stored = _stored(postgres_url)
    expected = {sim.base("gkong") + str(a["url_path"]) for a in sim.sites[0].articles}
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        runs = [dict(r._mapping) for r in conn.execute(text(
            "SELECT id, status, message FROM crawl_runs ORDER BY id"))]
    engine.dispose()
    # Back in time for the crawl's own close (its looks for the database, its records).
    back_before_end = back["at"] < exited - 3.0
    away_at_end = back["at"] >= exited
    return {"returncode": crawl.returncode, "log": faulted_log, "ended_after": ended_after,
            "back_before_end": back_before_end, "away_at_end": away_at_end,
            "recover": recover, "plain_runs": plain_runs, "faulted_run": runs[0], "runs": runs,
            "lost": len(expected - set(stored)), "duplicates": sum(n - 1 for n in stored.values()),
            "extra": len(set(stored) - expected)}


def check(outcome: dict[str, object], figures: list[dict[str, object]], label: str) -> None:
    log = str(outcome["log"])
    runs = outcome["runs"]
    assert isinstance(runs, list)
    survived = (outcome["lost"] == 0 and outcome["duplicates"] == 0
                and not any(r["status"] == "running" for r in runs))
    figures.append({"fault": label, "injected": 1, "survived": int(survived),
                    "articles lost": outcome["lost"], "duplicates": outcome["duplicates"],
                    "time to recover (s)": f"{outcome['recover']:.1f}"})
    assert outcome["lost"] == 0, f"{outcome['lost']} articles never stored\n{log[-3000:]}"
    assert outcome["duplicates"] == 0 and outcome["extra"] == 0
    assert not [r for r in runs if r["status"] == "running"], runs
    # One clear line when the outage starts, not one per batch or list page.
    for part in ("storage", "stored-URL lookups", "section walks"):
        assert log.count(f"{part}: the database is unavailable") <= 2, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    faulted = outcome["faulted_run"]
    assert isinstance(faulted, dict)
    # The exit code says what crawl_runs says (a run it could not record: 'failed', 1).
    assert (outcome["returncode"] == 0) == (faulted["status"] == "ok"), (faulted, log[-3000:])
    if outcome["away_at_end"]:
        assert outcome["returncode"] == 1, log[-3000:]
        assert faulted["status"] in ("failed", "killed"), faulted
        assert ("storage failed: spooled" in log or "cannot record the end of crawl run" in log
                or "cannot record the crawl run" in log), log[-3000:]
    elif outcome["back_before_end"] and "SIGTERM" not in label:
        # Back while the crawl ran: it replayed its spool itself and ended ok.
        assert outcome["returncode"] == 0, log[-3000:]
        if "storage: the database is unavailable" in log:  # a stall shorter than the
            assert "storage: the database works again" in log, log[-3000:]  # waits is not


# The fast part (make test): one of each fault, short.
FAST = [("refused", "mid", 5.0), ("stalled", "mid", 5.0), ("cut", "end", None)]
LONG = [
    ("refused", "end", 5.0), ("stalled", "end", 5.0), ("cut", "mid", 5.0), ("cut", "end", 5.0),
    ("refused", "mid", 30.0), ("stalled", "mid", 30.0), ("cut", "mid", 30.0),
    ("refused", "end", 30.0), ("stalled", "end", 30.0), ("cut", "end", 30.0),
    ("refused", "mid", None), ("stalled", "mid", None), ("cut", "mid", None),
    ("refused", "end", None), ("stalled", "end", None),
]


def _label(fault: str, when: str, seconds: float | None) -> str:
    how_long = "for good" if seconds is None else f"for {seconds:.0f} s"
    where = "mid-crawl" if when == "mid" else "at the end of a crawl"
    return f"PostgreSQL {fault} {where}, {how_long}, then plain runs"


def _id(case: tuple[str, str, float | None]) -> str:
    fault, when, seconds = case
    return f"{fault}-{when}-{'forever' if seconds is None else int(seconds)}"


CASES = [pytest.param(*case, id=_id(case)) for case in FAST] + [
    pytest.param(*case, id=_id(case), marks=pytest.mark.faults_long) for case in LONG]


@pytest.mark.parametrize(("fault", "when", "seconds"), CASES)
def test_a_database_outage_loses_and_duplicates_nothing(
        postgres_url, proxy, portal, tmp_path, monkeypatch, figures, fault, when, seconds):
    outcome = run_outage(postgres_url, proxy, portal, tmp_path, monkeypatch, fault, when,
                         seconds)
    check(outcome, figures, _label(fault, when, seconds))


@pytest.mark.faults_long
def test_sigterm_while_the_database_is_stalled_ends_the_crawl_within_bounded_time(
        postgres_url, proxy, portal, tmp_path, monkeypatch, figures):
    outcome = run_outage(postgres_url, proxy, portal, tmp_path, monkeypatch, "stalled", "mid",
                         None, sigterm_after=2.0)
    # The stop grace (5 s), then the close: storage's looks for the database and the records,
    # each bounded by DB_CONNECT_TIMEOUT / DB_CLIENT_TIMEOUT.
    assert float(outcome["ended_after"]) < 60, outcome["log"]  # type: ignore[arg-type]
    check(outcome, figures, "SIGTERM while PostgreSQL is stalled, then plain runs")
    assert outcome["returncode"] == 1
