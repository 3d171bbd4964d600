"""The walk's progress is in the database before a list page's links are followed, without
the walk waiting for the database on every list page."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.runs.section_walks import (
    STOP_END,
    SectionWalkRecorder,
    WalkReport,
    list_page_walked,
)
from crawler.spiders.portal import PortalSpider
from crawler.storage.engine import make_engine, upgrade_database
from tests.conftest import project_crawler
from tests.test_crawl_incremental import walk_state

SECTION = "http://a.test/news/"


def _recorder(database_url: str) -> SectionWalkRecorder:
    upgrade_database(make_engine(database_url))
    crawler = get_crawler(settings_dict={"DATABASE_URL": database_url,
                                         "SECTION_WALKS_ENABLED": True})
    crawler.spider = SimpleNamespace(crawl_run_id=None)
    recorder = SectionWalkRecorder.from_crawler(crawler)
    recorder.spider_opened(crawler.spider)
    return recorder


def test_a_requested_list_page_is_recorded_before_its_links_are_followed(sqlite_url) -> None:
    recorder = _recorder(sqlite_url)
    recorder.page_requested("aa", SECTION, 1)
    recorder.page_requested("aa", SECTION, 2)  # started, not waited for
    asyncio.run(recorder.page_walked("aa", SECTION, 2))  # the spider waits here
    assert walk_state(sqlite_url) == {"caught_up": 0, "resume_depth": 2}
    recorder.spider_closed(SimpleNamespace(walks={}), "finished")


def test_a_page_requested_by_another_worker_is_recorded_when_read(sqlite_url) -> None:
    recorder = _recorder(sqlite_url)
    asyncio.run(recorder.page_walked("aa", SECTION, 3))  # no request seen in this process
    assert walk_state(sqlite_url) == {"caught_up": 0, "resume_depth": 3}
    recorder.spider_closed(SimpleNamespace(walks={}), "finished")


def test_the_outcome_at_the_end_is_never_overtaken_by_a_progress_write(
    sqlite_url, monkeypatch
) -> None:
    recorder = _recorder(sqlite_url)
    write = recorder._record_progress

    def slow_write(*args: object) -> None:  # a database busy with the last batch
        time.sleep(0.1)
        write(*args)

    monkeypatch.setattr(recorder, "_record_progress", slow_write)
    for page in range(1, 6):
        recorder.page_requested("aa", SECTION, page)  # still being written when the run ends
    report = WalkReport("aa", SECTION, deepest=5, stop=STOP_END)
    writes = recorder._writes
    recorder.spider_closed(SimpleNamespace(walks={("aa", SECTION): report}), "finished")
    assert writes is not None
    writes.shutdown(wait=True)  # any write still under way has landed
    assert walk_state(sqlite_url) == {"caught_up": 1, "resume_depth": 0}


def test_the_next_list_page_goes_out_at_once_and_its_articles_after_the_progress_write(
    simulator, portals_file
) -> None:
    """On a shared frontier the worker that reads a list page is often not the one that
    requested it, so the progress write starts only when the page is read, behind the storage
    writers' lock. The walk must not wait for it page by page (the workers would run out of
    requests); the page's articles must (an interrupted run resumes at least this deep)."""
    crawler = project_crawler(PortalSpider, PORTALS_FILE=str(portals_file),
                              DATABASE_URL="sqlite://")
    spider = PortalSpider.from_crawler(crawler)
    crawler.spider = spider
    target = next(t for t in spider.targets if t.portal.key == "gkong")
    spider.walks[target.key] = WalkReport(*target.key)
    spider.known = None  # nothing stored yet: no lookup
    site = simulator.server("gkong").site
    response = HtmlResponse(url=target.section.url, body=site.pages[site.list_path].body,
                            headers={"Content-Type": "text/html; charset=utf-8"})

    async def run() -> None:
        written = asyncio.Event()

        async def slow_progress_write(**kwargs: object) -> None:
            await written.wait()

        crawler.signals.connect(slow_progress_write, signal=list_page_walked, weak=False)
        output = spider.parse_list(response, target, 1)
        # Waiting for the write here would wait forever: the write is held until later.
        first = await asyncio.wait_for(output.__anext__(), 5)
        assert first.callback == spider.parse_list  # page 2, while the write is under way
        following = asyncio.ensure_future(output.__anext__())
        await asyncio.sleep(0.1)
        assert not following.done(), "an article was queued before the walk was recorded"
        written.set()
        article = await following
        assert article.callback == spider.parse_article
        await output.aclose()

    asyncio.run(run())
