"""Drop reasons are types: each counted under ``drop/<reason>`` and kept in ``crawl_runs``."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text

from crawler.runs.recorder import CrawlRunRecorder
from pipelines.drops import DropStats, NotAnArticle, drop_counts, reason_of


class TooManyAds(DropItem):
    """Another library's drop: counted under its own name."""


def test_reasons() -> None:
    assert reason_of(NotAnArticle("x")) == "not_an_article"
    assert reason_of(DropItem("x")) == "unspecified"
    assert reason_of(TooManyAds("x")) == "too_many_ads"


def test_every_dropped_item_is_counted_so_scrapys_count_adds_up() -> None:
    crawler = get_crawler(settings_dict={})
    crawler.stats.open_spider()
    counter = DropStats.from_crawler(crawler)  # noqa: F841 - signals hold weak references
    for exc in (NotAnArticle("a"), NotAnArticle("b"), TooManyAds("c")):
        crawler.signals.send_catch_log(
            signals.item_dropped, item={}, response=None, exception=exc, spider=None
        )
    stats = crawler.stats.get_stats()
    assert stats["drop/not_an_article"] == 2
    assert stats["drop/too_many_ads"] == 1
    assert drop_counts(stats) == {"not_an_article": 2, "too_many_ads": 1}


def test_drop_counts_include_what_storage_dropped_after_the_pipelines() -> None:
    stats = {"drop/not_an_article": 1, "storage/duplicate_dropped": 4, "storage/lost_items": 0}
    assert drop_counts(stats) == {"duplicate_on_portal": 4, "not_an_article": 1}
    assert drop_counts({}) == {}


def test_the_run_records_its_drops(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    crawler = get_crawler(settings_dict={"DATABASE_URL": url})
    crawler.stats.open_spider()
    recorder = CrawlRunRecorder(crawler)
    spider = SimpleNamespace(name="portal")
    recorder.spider_opened(spider)
    crawler.stats.set_value("portal/list_pages", 1)
    crawler.stats.set_value("drop/not_an_article", 3)
    recorder.spider_closed(spider, "finished")
    engine = create_engine(url)
    with engine.connect() as conn:
        drops = conn.execute(text("SELECT drops FROM crawl_runs")).scalar_one()
    engine.dispose()
    assert json.loads(drops) == {"not_an_article": 3}
