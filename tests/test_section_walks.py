"""The walk's progress is in the database before a list page's links are followed, without
the walk waiting for the database on every list page."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

from scrapy.utils.test import get_crawler

from crawler.runs.section_walks import STOP_END, SectionWalkRecorder, WalkReport
from crawler.storage.engine import make_engine, upgrade_database
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
