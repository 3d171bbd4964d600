"""End to end: several ``scrapy crawl portal`` processes on one Redis frontier (REDIS_URL).

Real processes, a real Redis (DB 9, a key prefix per test) and the local portal simulator,
slowed down a little so that a crawl lasts long enough for every worker to take part.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from scrapy import FormRequest, Request
from scrapy.crawler import Crawler
from scrapy.utils.project import get_project_settings

from crawler.frontier.queue import FrontierQueue
from crawler.frontier.scheduler import FrontierScheduler
from crawler.spiders.portal import PortalSpider
from simulator.server import PortalSimulator
from simulator.sites import (
    GKONG_REPRINTS,
    Page,
    Site,
    build_autonet,
    build_drive,
    build_gkong,
)
from tests.conftest import ROOT, crawl_command, project_crawler, run_crawl
from tests.test_crawl import rows

# Two downloads per portal at a time, so the slowed portals take a while.
WORKER_SETTINGS = {"CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


def big_sites(gkong_seed0: int = 1000, gkong_articles: int = 45,
              gkong_per_page: int = 12) -> list[Site]:
    """104 articles on three portals, 4 list pages each, with gkong's reprints of drive."""
    return [
        build_gkong(n_articles=gkong_articles, per_page=gkong_per_page, seed0=gkong_seed0,
                    reprints=GKONG_REPRINTS),
        build_autonet(n_articles=32, per_page=8),
        build_drive(n_articles=24, per_page=6, faults=False),
    ]


def article_urls(sim: PortalSimulator) -> set[str]:
    return {sim.base(s.key) + str(a["url_path"]) for s in sim.sites for a in s.articles}


def start_workers(n: int, database_url: str, portals: Path, settings: dict[str, str],
                  logs: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    """n crawl processes started at once, each in its own process group, logging to a file."""
    command, env = crawl_command(database_url, portals,
                                 settings={**WORKER_SETTINGS, **settings})
    workers = []
    for i in range(n):
        log = logs / f"worker-{i}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        workers.append((proc, log))
    return workers


def wait_all(workers: list[tuple[subprocess.Popen[bytes], Path]],
             timeout: float = 90) -> list[str]:
    """Every worker must end by itself within ``timeout``; their logs."""
    deadline = time.monotonic() + timeout
    for proc, log in workers:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p, _ in workers:
                with_group(p, signal.SIGKILL)
            pytest.fail(f"worker did not exit by itself:\n{log.read_text()[-3000:]}")
    return [log.read_text() for _, log in workers]


def with_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def duplicate_groups(url: str) -> set[frozenset[str]]:
    """Stored articles grouped by duplicate_of: which copies were recognised as one story
    (which copy is the first depends on which finished first, in one process as in three).
    By portal and path: the two crawls ran against simulators on different ports."""
    found = rows(url, "SELECT id, url, portal, duplicate_of FROM articles")
    by_id = {r["id"]: f"{r['portal']}:{urlsplit(r['url']).path}?{urlsplit(r['url']).query}"
             for r in found}
    groups: dict[object, set[str]] = {}
    for r in found:
        root = r["duplicate_of"] or r["id"]
        groups.setdefault(root, {by_id[root]}).add(by_id[r["id"]])
    return {frozenset(g) for g in groups.values() if len(g) > 1}


@pytest.mark.parametrize("workers, database", [(2, "sqlite"), (3, "postgres")])
def test_workers_share_one_crawl_each_article_downloaded_and_stored_once(
    workers, database, tmp_path, sqlite_url, redis_frontier, request
):
    shared_url = sqlite_url if database == "sqlite" else request.getfixturevalue("postgres_url")
    with PortalSimulator(big_sites()) as sim:
        reference_url = f"sqlite:///{tmp_path / 'one-process.db'}"
        portals = sim.write_profiles(tmp_path / "reference.yaml")
        assert run_crawl(reference_url, portals, settings=WORKER_SETTINGS).returncode == 0
    with PortalSimulator(big_sites(), delay=0.1) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        logs = wait_all(start_workers(workers, shared_url, portals, redis_frontier.settings(),
                                      tmp_path))
        hits = Counter({sim.base(s.key) + path: n
                        for s in sim.sites for path, n in sim.hits(s.key).items()})
        expected = article_urls(sim)
    assert len(expected) == 104
    assert all("crawl finished (run " in log and "status=ok" in log for log in logs), \
        logs[0][-3000:]
    # A worker that read only part of a walk does not warn that it was interrupted.
    assert not any("is not caught up" in log for log in logs), [x[-3000:] for x in logs]
    walks = rows(shared_url, "SELECT caught_up, resume_depth FROM section_walks")
    assert walks and all(w["caught_up"] and not w["resume_depth"] for w in walks), walks
    assert {u: hits[u] for u in expected} == dict.fromkeys(expected, 1)  # downloaded once
    assert all(n == 1 for u, n in hits.items() if "robots.txt" not in u), "a page fetched twice"
    stored = [r["url"] for r in rows(shared_url, "SELECT url FROM articles")]
    assert sorted(stored) == sorted(expected)  # stored once
    assert duplicate_groups(shared_url) == duplicate_groups(reference_url) != set()

    runs = rows(shared_url, "SELECT * FROM crawl_runs")
    assert len(runs) == workers and len({r["pid"] for r in runs}) == workers
    assert {r["status"] for r in runs} == {"ok"} and all(r["host"] for r in runs)
    assert sum(1 for r in runs if r["pages"]) >= 2, "one worker did all the work"
    (total,) = rows(shared_url, "SELECT crawl_id, count(*) AS n, sum(pages) AS pages, "
                                "sum(items_new) AS items_new FROM crawl_runs GROUP BY crawl_id")
    assert (total["n"], total["items_new"]) == (workers, 104)
    assert total["pages"] == sum(hits.values())  # robots.txt included, once per worker
    assert redis_frontier.crawl_keys() == []  # the last worker out deleted them


def test_a_killed_workers_requests_go_back_and_the_others_finish(tmp_path, sqlite_url,
                                                                 redis_frontier):
    settings = redis_frontier.settings(FRONTIER_INFLIGHT_TIMEOUT="2")
    inflight = f"{redis_frontier.prefix}:autonet,drive,gkong:inflight"
    with PortalSimulator(big_sites(), delay=0.2) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        workers = start_workers(3, sqlite_url, portals, settings, tmp_path)
        # The first worker to hold more entries than it downloads at a time (3 portals x 2):
        # some of them are finished requests whose articles wait in its storage buffer, which
        # dies with it.
        deadline = time.monotonic() + 60
        victim = None
        while victim is None and time.monotonic() < deadline:
            held = Counter(f.decode().split(":")[1]
                           for f in redis_frontier.client.hkeys(inflight))
            victim = next((p for p, _ in workers if held[str(p.pid)] > 6), None)
            time.sleep(0.02)
        assert victim is not None, "no worker ever held finished requests"
        with_group(victim, signal.SIGKILL)
        victim.wait(10)
        survivors = [(p, log) for p, log in workers if p is not victim]
        logs = wait_all(survivors)
        expected = article_urls(sim)
    assert any("requests of dead or stopped workers back in the queue" in log for log in logs), \
        logs[0][-3000:]
    assert all("crawl finished (run " in log and "status=ok" in log for log in logs), \
        logs[0][-3000:]
    stored = [r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")]
    assert sorted(stored) == sorted(expected)  # nothing lost, nothing twice
    runs = rows(sqlite_url, "SELECT pid, status FROM crawl_runs ORDER BY id")
    assert sorted(r["status"] for r in runs) == ["ok", "ok", "running"]  # the victim's row
    assert redis_frontier.crawl_keys() == []


def test_workers_exit_when_done_and_the_next_crawl_reads_the_list_pages_again(
    tmp_path, sqlite_url, redis_frontier
):
    # Slowed down like the other multi-worker crawls here: unslowed, this small crawl could be
    # finished by one worker before the other had started (then a crawl of its own).
    with PortalSimulator(big_sites(gkong_articles=12, gkong_per_page=5), delay=0.05) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        started = time.monotonic()
        wait_all(start_workers(2, sqlite_url, portals, redis_frontier.settings(), tmp_path),
                 timeout=60)
        assert time.monotonic() - started < 60
        assert redis_frontier.crawl_keys() == []
        first = len(article_urls(sim))

        # Three new gkong stories at the top of its first list page.
        gkong = sim.server("gkong")
        gkong.site = big_sites(gkong_seed0=997, gkong_articles=15, gkong_per_page=6)[0]
        new = {f"/news/2024/0311/{i}.html" for i in (997, 998, 999)}
        wait_all(start_workers(2, sqlite_url, portals, redis_frontier.settings(), tmp_path),
                 timeout=60)
        hits = sim.hits("gkong")
    # Read again: its fingerprint left with the crawl. (A worker that starts only after the
    # other has finished the whole crawl reads it once more, as a crawl of its own.)
    assert hits["/news/index.html"] in (2, 3)
    assert all(hits[path] == 1 for path in new)
    articles = [p for p in hits if p.startswith("/news/2024/")]
    assert all(hits[p] == 1 for p in articles)  # nothing stored was downloaded again
    sums = rows(sqlite_url, "SELECT crawl_id, count(*) AS workers, sum(items_new) AS new, "
                            "min(id) AS first FROM crawl_runs GROUP BY crawl_id ORDER BY first")
    assert [(r["workers"], r["new"]) for r in sums] == [(2, first), (2, 3)]
    assert redis_frontier.crawl_keys() == []


def settings_in_a_crawl_process(env: dict[str, str]) -> str:
    """SCHEDULER once the add-ons ran, and whether redis got imported, in a fresh process."""
    code = ("import sys\n"
            "from scrapy.crawler import Crawler\n"
            "from scrapy.utils.project import get_project_settings\n"
            "from crawler.spiders.portal import PortalSpider\n"
            "from scrapy.utils.reactor import install_reactor\n"
            "settings = get_project_settings()\n"
            "install_reactor(settings['TWISTED_REACTOR'])\n"
            "crawler = Crawler(PortalSpider, settings)\n"
            "crawler._apply_settings()\n"
            "print(crawler.settings['SCHEDULER'], 'redis' in sys.modules)\n")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                          capture_output=True, check=True, timeout=60).stdout.strip()


def test_without_redis_url_the_stock_scheduler_runs_and_redis_is_not_imported() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    assert settings_in_a_crawl_process(env) == "scrapy.core.scheduler.Scheduler False"
    env["REDIS_URL"] = "redis://127.0.0.1:6379/9"
    scheduler, _ = settings_in_a_crawl_process(env).split()
    assert scheduler == "crawler.frontier.scheduler.FrontierScheduler"


def fetch_order(tmp_path: Path, sqlite_url: str, settings: dict[str, str]) -> list[str]:
    """The paths one crawl process fetched, in order, one request at a time (5 list pages of
    8 articles)."""
    site = build_gkong(n_articles=40, per_page=8)
    with PortalSimulator([site]) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        done = run_crawl(sqlite_url, portals, f"portal={site.key}", settings={
            "CONCURRENT_REQUESTS": "1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", **settings})
        assert done.returncode == 0, done.log[-3000:]
        return [p for p in sim.order(site.key) if p != "/robots.txt"]


def articles_before_the_last_list_page(order: list[str]) -> int:
    last = max(i for i, p in enumerate(order) if "index" in p)
    return sum(1 for p in order[:last] if p.startswith("/news/20"))


def test_on_a_shared_frontier_the_walk_goes_ahead_of_the_articles(tmp_path, sqlite_url,
                                                                   redis_frontier) -> None:
    """Articles first would make every worker drain the shared queue before one of them
    fetched the next list page, and all of them wait while it is parsed. One process keeps a
    list page's articles ahead of the next list page (its queue is in memory)."""
    shared = fetch_order(tmp_path, sqlite_url, redis_frontier.settings())
    assert articles_before_the_last_list_page(shared) < 20, shared  # of 40; 3 seen here
    alone = fetch_order(tmp_path, f"sqlite:///{tmp_path / 'alone.db'}", {})
    assert articles_before_the_last_list_page(alone) > 20, alone  # 32 seen here
    # The order a user gives wins on a shared frontier too.
    given = fetch_order(tmp_path, f"sqlite:///{tmp_path / 'given.db'}",
                        redis_frontier.settings(PORTAL_ARTICLE_PRIORITY="10"))
    assert articles_before_the_last_list_page(given) > 20, given


@pytest.mark.parametrize("args, name", [
    ({"portal": "gkong,autonet"}, "autonet,gkong"),
    ({"url": "http://News.Example.com:8080/list.html"}, "news.example.com:8080"),
])
def test_the_crawl_is_named_after_what_it_crawls(args, name, portals_file) -> None:
    spider = portal_spider(portals_file, **args)
    assert spider.frontier_name == name


def test_requests_carry_a_section_reference_not_the_target(portals_file) -> None:
    spider = portal_spider(portals_file)
    target = spider.targets[1]
    dumped = spider.dump_cb_kwargs({"target": target, "page": 2})
    assert dumped == {"target": (target.portal.key, target.section.url), "page": 2}
    assert spider.load_cb_kwargs(pickle.loads(pickle.dumps(dumped))) == {"target": target,
                                                                          "page": 2}
    with pytest.raises(ValueError, match="no section"):
        spider.load_cb_kwargs({"target": ("gkong", "http://elsewhere/")})


def portal_spider(portals_file: Path, **args: str) -> PortalSpider:
    settings = get_project_settings()
    settings.set("PORTALS_FILE", str(portals_file))
    settings.set("DATABASE_URL", "sqlite://")
    return PortalSpider.from_crawler(Crawler(PortalSpider, settings), **args)


def robots_site() -> Site:
    """drive with a link robots.txt forbids on every list page, and an allowed article URL
    on the last one that redirects into the forbidden directory."""
    site = build_drive(n_articles=24, per_page=6, faults=False)
    lists = sorted(p for p in site.pages if p.startswith("/News/list.aspx"))
    for n, path in enumerate(lists):
        page = site.pages[path]
        link = (f'<div class="item"><a href="/News/private/detail.aspx?id={700 + n}">'
                f"内部资料：第{n}页不公开的行业文章标题</a></div>").encode()
        if path == lists[-1]:
            link += ('<div class="item"><a href="/News/detail.aspx?id=5555">'
                     "跳转到内部资料的一篇行业文章标题</a></div>").encode()
        body = page.body.replace(b'<div class="newsbox">', b'<div class="newsbox">' + link, 1)
        site.pages[path] = dataclasses.replace(page, body=body)
        site.pages[f"/News/private/detail.aspx?id={700 + n}"] = Page(b"<p>private</p>")
    site.pages["/News/detail.aspx?id=5555"] = Page(
        status=302, headers={"Location": "/News/private/detail.aspx?id=888"})
    site.pages["/News/private/detail.aspx?id=888"] = Page(b"<p>private</p>")
    return site


def test_workers_obey_robots_txt(tmp_path, sqlite_url, redis_frontier):
    """Requests taken from Redis go through the robots.txt check of the worker that
    downloads them, redirects included; robots.txt itself is fetched by each worker
    directly, never through the shared queue."""
    with PortalSimulator([robots_site()], delay=0.05) as sim:
        portals = sim.write_profiles(tmp_path / "portals.yaml")
        logs = wait_all(start_workers(2, sqlite_url, portals, redis_frontier.settings(),
                                      tmp_path))
        hits = sim.hits("drive")
        expected = article_urls(sim)
    assert all("status=ok" in log for log in logs), logs[0][-3000:]
    assert not [p for p in hits if p.startswith("/News/private/")], hits
    assert hits["/robots.txt"] <= 2  # once per worker at most
    assert hits["/News/detail.aspx?id=5555"] == 1  # the redirect itself is allowed
    forbidden = sum(log.count("forbidden by robots.txt") for log in logs)
    # drive's own private link, one added per list page (4) and the redirect target
    assert forbidden == 6, [x[-3000:] for x in logs]
    stored = [r["url"] for r in rows(sqlite_url, "SELECT url FROM articles")]
    assert sorted(stored) == sorted(expected)
    assert redis_frontier.crawl_keys() == []


def test_requests_are_encoded_as_scrapy_encodes_them(portals_file) -> None:
    """The frontier names callbacks itself (Scrapy searches every attribute of the spider
    for them, per request); the dict must stay what ``Request.to_dict`` gives."""
    spider = portal_spider(portals_file)
    queue = FrontierQueue(_NoServer(), spider, "q")
    target = spider.targets[0]
    requests = [
        Request("http://a.example/1", callback=spider.parse_article, errback=spider.on_error,
                dont_filter=True, priority=10, cb_kwargs={"target": target},
                meta={"page_kind": "article"}),
        Request("http://a.example/2", callback=spider.parse_list,
                cb_kwargs={"target": target, "page": 2, "known_run": 0}),
        Request("http://a.example/3"),
        FormRequest("http://a.example/4", formdata={"q": "1"}, callback=spider.parse_list),
    ]
    for request in requests:
        assert queue._request_dict(request) == request.to_dict(spider=spider)
        back = queue._decode_request(queue._encode_request(request))
        assert (back.url, back.callback, back.errback) == (
            request.url, request.callback, request.errback)
    with pytest.raises(ValueError, match="not an instance method"):
        queue._request_dict(Request("http://a.example/5", callback=lambda r: None))


class _NoServer:
    def register_script(self, script: str) -> None:
        return None


def test_a_worker_with_responses_waiting_for_its_cpu_takes_no_request() -> None:
    """Left in the shared queue for the other workers (FRONTIER_MAX_UNPARSED)."""
    slot = SimpleNamespace(queue=[], active=set())
    crawler = SimpleNamespace(engine=SimpleNamespace(scraper=SimpleNamespace(slot=slot)),
                              stats=None)
    scheduler = FrontierScheduler.__new__(FrontierScheduler)
    scheduler.crawler, scheduler.max_unparsed = crawler, 2
    assert not scheduler._cpu_bound()
    slot.queue.append("response")
    assert not scheduler._cpu_bound()
    slot.active.add("request")
    assert scheduler._cpu_bound()
    scheduler.max_unparsed = 0  # no limit
    assert not scheduler._cpu_bound()


def test_requests_a_worker_took_but_never_started_go_back_when_it_closes(
        portals_file, redis_frontier) -> None:
    """A worker takes FRONTIER_PREFETCH requests per round trip; what its engine never got is
    in the shared queue again the moment it closes, not left in flight until reaped."""
    import redis

    crawler = project_crawler(PortalSpider, PORTALS_FILE=str(portals_file),
                              DATABASE_URL="sqlite://",
                              **redis_frontier.settings(FRONTIER_PREFETCH="4"))
    spider = PortalSpider.from_crawler(crawler)
    # The engine as the scheduler sees it: nothing in progress (what it got, it finished).
    crawler.engine = SimpleNamespace(_slot=SimpleNamespace(inprogress=set()), scraper=None)
    scheduler = FrontierScheduler.from_crawler(crawler)
    server = redis.Redis.from_url(redis_frontier.url)
    try:
        scheduler.open(spider)
        assert scheduler.keys is not None
        urls = [f"http://a.example/{n}" for n in range(6)]
        scheduler.queue.push_many([(Request(url, callback=spider.parse_article), "")
                                   for url in urls])
        first = scheduler.next_request()
        assert first is not None and first.url == urls[0]
        assert server.zcard(scheduler.keys.queue) == 2  # four taken in one round trip
        assert server.hlen(scheduler.keys.inflight) == 4
        assert scheduler.has_pending_requests()
        scheduler.close("shutdown")
        queued = server.zrange(scheduler.keys.queue, 0, -1)
        assert len(queued) == 5  # the three never started are back, the two untouched stayed
        assert server.hlen(scheduler.keys.inflight) == 0  # the one handed out finished here
        assert crawler.stats.get_value("frontier/given_back") == 3
    finally:
        server.close()


def test_a_joining_worker_fetches_nothing_before_its_spider_is_open(
        portals_file, redis_frontier) -> None:
    """The scheduler opens before the pipelines and the spider_opened handlers (the address
    guard's exemptions, the robots.txt middleware's first look): its poll of the shared queue
    must not start the engine early, even when other workers have queued requests."""
    crawler = project_crawler(PortalSpider, PORTALS_FILE=str(portals_file),
                              DATABASE_URL="sqlite://", **redis_frontier.settings())
    spider = PortalSpider.from_crawler(crawler)
    kicks: list[str] = []
    nextcall = SimpleNamespace(schedule=lambda: kicks.append("next"))
    crawler.engine = SimpleNamespace(_slot=SimpleNamespace(inprogress=set(), nextcall=nextcall),
                                     scraper=None)
    scheduler = FrontierScheduler.from_crawler(crawler)
    try:
        scheduler.open(spider)
        scheduler.queue.push_many([(Request("http://a.example/1", callback=spider.parse_article),
                                    "")])  # another worker's request
        scheduler._tick()
        assert kicks == []  # the pipelines may still be opening
        assert scheduler.next_request() is not None  # the engine asks: the spider is open
        scheduler._tick()
        assert kicks == ["next"]
    finally:
        scheduler.close("shutdown")
