"""Storage: one row per canonical URL, batched writes, nothing lost when the database hiccups."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from crawler.items import ArticleItem, Tag
from pipelines.storage import StoragePipeline


def item(n: int, **overrides: object) -> ArticleItem:
    fields = dict(
        url=f"http://www.a.cn/news/{n}.html",
        fetched_url=f"http://www.a.cn/news/{n}.html",
        portal="a",
        portal_name="A网",
        section="行业动态",
        title=f"标题{n}",
        body=f"第{n}篇文章的正文。\n第二段。",
        published_at=datetime(2024, 3, 11, 6, 20, tzinfo=UTC),
        source="A网",
        content_hash=f"{n:064x}",
        tags=[Tag("电力", "industry", 0.8), Tag("国家电网", "company", 1.0)],
    )
    fields.update(overrides)
    return ArticleItem(**fields)  # type: ignore[arg-type]


def open_pipeline(url: str, **settings: object) -> StoragePipeline:
    crawler = get_crawler(settings_dict={"DATABASE_URL": url, "DEDUP_ENABLED": False, **settings})
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(SimpleNamespace(crawl_run_id=None))
    return pipeline


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def test_rows_tags_and_seen_times(sqlite_url):
    pipeline = open_pipeline(sqlite_url)
    for n in range(3):
        pipeline.process_item(item(n))
    pipeline.close_spider()
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 3
    assert count(sqlite_url, "SELECT count(*) FROM tags") == 2
    assert count(sqlite_url, "SELECT count(*) FROM article_tags") == 6
    assert (
        count(sqlite_url, "SELECT count(*) FROM articles WHERE first_seen_at = last_seen_at") == 3
    )


def test_storing_the_same_url_again_updates_the_row(sqlite_url):
    first = open_pipeline(sqlite_url)
    first.process_item(item(1))
    first.close_spider()
    second = open_pipeline(sqlite_url)
    second.process_item(item(1, title="新标题", tags=[Tag("电力", "industry", 0.5)]))
    second.process_item(item(1, title="新标题"))  # the same URL twice in one batch
    second.close_spider()
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 1
    assert count(sqlite_url, "SELECT count(*) FROM articles WHERE title = '新标题'") == 1
    assert (
        count(sqlite_url, "SELECT count(*) FROM articles WHERE last_seen_at > first_seen_at") == 1
    )
    assert second.stats.get_value("storage/updated") == 2


def test_a_new_url_twice_in_one_batch_keeps_one_row_with_the_last_tags(sqlite_url):
    pipeline = open_pipeline(sqlite_url)
    pipeline.process_item(item(7))
    pipeline.process_item(item(7, tags=[Tag("化工", "industry", 0.6)]))
    pipeline.close_spider()
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 1
    assert count(sqlite_url, "SELECT count(*) FROM article_tags") == 1
    assert count(sqlite_url, "SELECT count(*) FROM article_tags JOIN tags ON tags.id = tag_id "
                             "WHERE tags.name = '化工'") == 1
    assert pipeline.stats.get_value("storage/rejected") is None


def test_writes_are_batched(sqlite_url):
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=10)
    assert pipeline.engine is not None
    commits: list[int] = []
    event.listen(pipeline.engine, "commit", lambda conn: commits.append(1))
    for n in range(25):
        pipeline.process_item(item(n))
    pipeline.close_spider()
    assert len(commits) == 3  # 10 + 10 + the last 5 at close
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 25


def test_a_database_outage_keeps_the_batch_and_loses_nothing(sqlite_url, monkeypatch):
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=2)
    for n in range(2):
        pipeline.process_item(item(n))
    assert pipeline.engine is not None
    real_begin = pipeline.engine.begin
    outage = {"left": 1}

    def flaky_begin():  # type: ignore[no-untyped-def]
        if outage["left"]:
            outage["left"] -= 1
            raise OperationalError("BEGIN", {}, Exception("database is locked / server gone"))
        return real_begin()

    monkeypatch.setattr(pipeline.engine, "begin", flaky_begin)
    pipeline.process_item(item(2))
    pipeline.process_item(item(3))  # this flush fails: items kept
    assert len(pipeline.buffer) == 2
    assert pipeline.stats.get_value("storage/errors") == 1
    pipeline.process_item(item(4))
    pipeline.process_item(item(1))  # an already stored URL arrives again
    pipeline.close_spider()
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 5
    assert count(sqlite_url, "SELECT count(DISTINCT url) FROM articles") == 5


def test_a_database_that_stays_away_is_counted_not_swallowed(tmp_path):
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    pipeline = open_pipeline(url, STORAGE_CLOSE_RETRY_DELAY=0)
    pipeline.process_item(item(1))
    assert pipeline.engine is not None

    def dead_begin():  # type: ignore[no-untyped-def]
        raise OperationalError("BEGIN", {}, Exception("unable to open database file"))

    pipeline.engine.begin = dead_begin  # type: ignore[method-assign]
    pipeline.close_spider()
    assert pipeline.stats.get_value("storage/failed_batches") == 1
    assert pipeline.stats.get_value("storage/lost_items") == 1


def test_a_row_the_database_rejects_does_not_block_the_others(sqlite_url):
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=3)
    pipeline.process_item(item(1))
    pipeline.process_item(item(2, published_at=datetime(2024, 3, 11, 14, 20)))  # naive: refused
    pipeline.process_item(item(3))
    pipeline.close_spider()
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 2
    assert pipeline.stats.get_value("storage/rejected") == 1
    assert not pipeline.buffer


# -- with a storage worker process ------------------------------------------------------------


class FlakyIndex:
    """An index whose database call fails the first time: a database outage, in the worker."""

    failures_left = 1

    @classmethod
    def from_settings(cls, settings: object) -> FlakyIndex:
        return cls()

    def first_copy(self, conn: object, item: ArticleItem) -> None:
        if FlakyIndex.failures_left:
            FlakyIndex.failures_left -= 1
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return None

    def add(self, conn: object, article_id: int, item: ArticleItem) -> None:
        pass


def _in_worker(url: str, **settings: object) -> StoragePipeline:
    crawler = get_crawler(settings_dict={
        "DATABASE_URL": url, "STORAGE_WORKERS": 1, "LOG_LEVEL": "INFO", **settings})
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(SimpleNamespace(crawl_run_id=None))
    assert pipeline.pool is not None and pipeline.writer is None
    return pipeline


async def _feed_and_close(pipeline: StoragePipeline, items: list[ArticleItem]) -> None:
    for each in items:
        result = pipeline.process_item(each)
        if asyncio.iscoroutine(result):  # held back while the writer catches up
            await result
        await asyncio.sleep(0)  # let a finished batch hand over the next one
    closing = pipeline.close_spider()
    assert closing is not None
    await closing


def test_a_storage_worker_stores_everything_and_reports_here(sqlite_url, caplog):
    pipeline = _in_worker(sqlite_url, STORAGE_BATCH_SIZE=3,
                          DEDUP_INDEX_CLASS="tests.test_pipeline_storage.FlakyIndex")
    with caplog.at_level(logging.INFO):
        asyncio.run(_feed_and_close(pipeline, [item(n) for n in range(10)]))
    # The failed batch came back and was written with a later one: nothing lost, nothing twice.
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 10
    assert count(sqlite_url, "SELECT count(DISTINCT url) FROM articles") == 10
    assert count(sqlite_url, "SELECT count(*) FROM article_tags") == 20
    stats = pipeline.stats
    assert stats.get_value("storage/new") == stats.get_value("crawl/items_new") == 10
    assert stats.get_value("storage/errors") == 1  # counted here, for crawl_runs.errors
    assert any("cannot write 3 articles" in r.getMessage() and r.name == "pipelines.storage"
               for r in caplog.records)  # the worker's log line, in the crawl's log
    assert not pipeline.buffer


def test_a_storage_worker_fingerprints_what_the_dedup_pipeline_left_to_it(sqlite_url):
    from pipelines.dedup import DedupPipeline, fingerprint

    settings = {"DATABASE_URL": sqlite_url, "STORAGE_WORKERS": 1}
    dedup = DedupPipeline.from_crawler(get_crawler(settings_dict=settings))
    assert not dedup.hash_here
    body = "国家电网今日宣布，特高压工程全面开工。\n项目总投资超过三百亿元，预计明年投运。"
    items = [dedup.process_item(item(n, body=body, content_hash=None, portal=f"p{n}"))
             for n in range(2)]
    assert items[0].content_hash is None  # not hashed in the crawl process
    pipeline = _in_worker(sqlite_url)
    asyncio.run(_feed_and_close(pipeline, items))
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT content_hash, simhash, duplicate_of FROM articles ORDER BY id")).all()
    engine.dispose()
    fp = fingerprint(body)
    assert [(r[0], r[1]) for r in stored] == [(fp.content_hash, fp.simhash)] * 2
    assert stored[0][2] is None and stored[1][2] is not None  # the second is the reprint


def test_items_wait_for_the_storage_worker_when_it_falls_behind(sqlite_url):
    pipeline = _in_worker(sqlite_url, STORAGE_BATCH_SIZE=1)  # at most 8 items held
    held_back: list[int] = []

    async def feed() -> None:
        for n in range(30):
            result = pipeline.process_item(item(n))
            if asyncio.iscoroutine(result):
                held_back.append(n)
                assert await result is not None
            assert len(pipeline.buffer) <= 8
        closing = pipeline.close_spider()
        assert closing is not None
        await closing

    asyncio.run(feed())
    assert held_back  # the crawl slowed down instead of piling items up in memory
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 30
