"""Storage: one row per canonical URL, batched writes, nothing lost when the database hiccups."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from crawler.items import ArticleItem, Tag
from crawler.storage.spool import item_from_json, item_to_json, write_spool
from pipelines.storage import StoragePipeline
from tests.conftest import project_crawler


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
    crawler = project_crawler(DATABASE_URL=url, DEDUP_ENABLED=False, **settings)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(SimpleNamespace(crawl_run_id=None))
    return pipeline


def feed(pipeline: StoragePipeline, *items: ArticleItem, close: bool = False) -> None:
    """Items through the pipeline as Scrapy sends them (awaited one by one), then wait for
    the batches it started writing (or close the pipeline, as at the end of a crawl)."""

    async def run() -> None:
        for each in items:
            await pipeline.process_item(each)
        await (pipeline.close_spider() if close else pipeline.writes_done())

    asyncio.run(run())


def close(pipeline: StoragePipeline) -> None:
    asyncio.run(pipeline.close_spider())


def hold_writes(pipeline: StoragePipeline) -> threading.Event:
    """Make the writer thread wait before each write until the returned event is set (a slow
    or stalled database)."""
    release = threading.Event()
    real_write = pipeline.writer.write

    def held_write(batch, run_id):  # type: ignore[no-untyped-def]
        release.wait(10)
        return real_write(batch, run_id)

    pipeline.writer.write = held_write  # type: ignore[method-assign]
    return release


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def test_rows_tags_and_seen_times(sqlite_url):
    pipeline = open_pipeline(sqlite_url)
    feed(pipeline, *(item(n) for n in range(3)), close=True)
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 3
    assert count(sqlite_url, "SELECT count(*) FROM tags") == 2
    assert count(sqlite_url, "SELECT count(*) FROM article_tags") == 6
    assert (
        count(sqlite_url, "SELECT count(*) FROM articles WHERE first_seen_at = last_seen_at") == 3
    )


def test_storing_the_same_url_again_updates_the_row(sqlite_url):
    feed(open_pipeline(sqlite_url), item(1), close=True)
    second = open_pipeline(sqlite_url)
    feed(second,
         item(1, title="新标题", tags=[Tag("电力", "industry", 0.5)]),
         item(1, title="新标题"),  # the same URL twice in one batch
         close=True)
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 1
    assert count(sqlite_url, "SELECT count(*) FROM articles WHERE title = '新标题'") == 1
    assert (
        count(sqlite_url, "SELECT count(*) FROM articles WHERE last_seen_at > first_seen_at") == 1
    )
    assert second.stats.get_value("storage/updated") == 2


def test_a_new_url_twice_in_one_batch_keeps_one_row_with_the_last_tags(sqlite_url):
    pipeline = open_pipeline(sqlite_url)
    feed(pipeline, item(7), item(7, tags=[Tag("化工", "industry", 0.6)]), close=True)
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 1
    assert count(sqlite_url, "SELECT count(*) FROM article_tags") == 1
    assert count(sqlite_url, "SELECT count(*) FROM article_tags JOIN tags ON tags.id = tag_id "
                             "WHERE tags.name = '化工'") == 1
    assert pipeline.stats.get_value("storage/rejected") is None


def test_every_tag_of_a_batch_is_linked_to_its_own_id_whatever_the_count(backend_url):
    """A batch brings hundreds of tag rows and many new names: written a statement per 100,
    existing names reused, a name under two kinds kept apart, scores kept per article."""
    pipeline = open_pipeline(backend_url)
    feed(pipeline, item(0, tags=[Tag("电力", "industry", 0.8)]))  # a name stored before
    batch = [item(n, tags=[Tag("电力", "industry", 0.5 + n / 1000), Tag("电力", "keyword", 0.3),
                           *(Tag(f"关键词{n * 3 + k}", "keyword", 0.2) for k in range(3))])
             for n in range(1, 81)]
    feed(pipeline, *batch, close=True)
    assert count(backend_url, "SELECT count(*) FROM tags") == 2 + 240
    assert count(backend_url, "SELECT count(*) FROM article_tags") == 1 + 80 * 5
    links = _rows(backend_url,
                  "SELECT a.url, t.name, t.kind, at.score FROM article_tags AS at "
                  "JOIN tags AS t ON t.id = at.tag_id JOIN articles AS a ON a.id = at.article_id")
    linked = {(url, name, kind): score for url, name, kind, score in links}
    assert linked[("http://www.a.cn/news/42.html", "电力", "industry")] == pytest.approx(0.542)
    assert linked[("http://www.a.cn/news/42.html", "电力", "keyword")] == pytest.approx(0.3)
    assert ("http://www.a.cn/news/42.html", "关键词127", "keyword") in linked
    assert ("http://www.a.cn/news/42.html", "关键词130", "keyword") not in linked


def test_writes_are_batched(sqlite_url):
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=10)
    assert pipeline.engine is not None
    commits: list[int] = []
    event.listen(pipeline.engine, "commit", lambda conn: commits.append(1))
    feed(pipeline, *(item(n) for n in range(25)), close=True)
    assert len(commits) == 3  # 10 + 10 + the last 5 at close
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 25


def test_each_written_batch_vouches_for_every_item_that_came_before_its_last_one(sqlite_url):
    """The shared frontier keeps a worker's requests in flight until storage says their items
    are written (crawler.signals.items_stored). Under a steady stream of items the buffer is
    never empty after a write, so that word has to come with every batch, or a crawl's
    requests would all stay in flight until its end (and a killed worker's whole share would
    be fetched again)."""
    from crawler.signals import items_stored

    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=2)
    release = hold_writes(pipeline)
    said: list[float] = []
    handover: list[float] = []
    pipeline.crawler.signals.connect(lambda since: said.append(since), signal=items_stored,
                                     weak=False)

    async def run() -> None:
        for n in range(5):  # batch 0-1 is written while 2, 3, 4 come in
            handover.append(time.monotonic())
            await pipeline.process_item(item(n))
        release.set()
        await pipeline.writes_done()
        assert said, "no word after the first batches, items still coming"
        # Items 0-3 (two batches) are written, item 4 waits in the buffer: the word covers
        # the items handed over before item 3 was and stops short of item 4.
        assert handover[3] <= said[-1] < handover[4]
        pipeline.spider_idle()  # the crawl idles: the last item is written and vouched for
        await pipeline.writes_done()
        assert said[-1] >= handover[4]

    asyncio.run(run())
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 5


def test_a_database_outage_mid_crawl_spools_batches_at_once_and_replays_them_first(
        sqlite_url, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="crawler.storage.durable")
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=2, STORAGE_PROBE_INTERVAL=60)
    feed(pipeline, item(0), item(1))
    assert pipeline.engine is not None
    real_begin = pipeline.engine.begin
    database = {"away": True, "tries": 0}

    def flaky_begin():  # type: ignore[no-untyped-def]
        if database["away"]:
            database["tries"] += 1
            raise OperationalError("BEGIN", {}, Exception("server closed the connection"))
        return real_begin()

    monkeypatch.setattr(pipeline.engine, "begin", flaky_begin)
    feed(pipeline, *(item(n) for n in range(2, 8)))  # three batches during the outage
    assert not pipeline.buffer, "an outage must not hold articles in memory"
    assert database["tries"] == 1, "once away, batches go to the spool without waiting"
    assert pipeline.stats.get_value("storage/spooled_items") == 6
    assert len(list(pipeline.spool_dir.glob("spool-*.jsonl"))) == 3
    outage_lines = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(outage_lines) == 1 and "unavailable" in outage_lines[0].getMessage()

    database["away"] = False
    feed(pipeline, item(8), item(1), close=True)  # an already stored URL arrives again
    # In the order they were extracted: the spool before the newer batch.
    assert [r[0] for r in _rows(sqlite_url, "SELECT url FROM articles ORDER BY id")] == [
        item(n).url for n in range(9)]
    assert not list(pipeline.spool_dir.glob("*.jsonl"))
    assert not pipeline.stats.get_value("storage/spool_pending")
    assert any("works again" in r.getMessage() and r.levelname == "INFO"
               for r in caplog.records)


def test_the_spool_of_an_earlier_run_is_replayed_in_the_writer_thread_before_new_batches(
        tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    write_spool(tmp_path / "spool", [item(1), item(2)])
    write_spool(tmp_path / "spool", [item(3)])
    crawler = project_crawler(DATABASE_URL=url, DEDUP_ENABLED=False, STORAGE_BATCH_SIZE=2)
    pipeline = StoragePipeline.from_crawler(crawler)
    threads: set[threading.Thread] = set()

    async def run() -> None:
        pipeline.open_spider(SimpleNamespace(crawl_run_id=None))
        real_write = pipeline.writer.write

        def write(batch, run_id):  # type: ignore[no-untyped-def]
            threads.add(threading.current_thread())
            return real_write(batch, run_id)

        pipeline.writer.write = write  # type: ignore[method-assign]
        for n in (4, 5):
            await pipeline.process_item(item(n))
        await pipeline.close_spider()

    asyncio.run(run())
    assert threads and threading.main_thread() not in threads, "never in the reactor thread"
    assert [r[0] for r in _rows(url, "SELECT url FROM articles ORDER BY id")] == [
        item(n).url for n in range(1, 6)]
    assert pipeline.stats.get_value("storage/replayed_items") == 3
    assert not list((tmp_path / "spool").glob("*.jsonl"))


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def test_a_database_that_stays_away_is_counted_and_spooled_for_the_next_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    pipeline = open_pipeline(url, STORAGE_CLOSE_RETRY_DELAY=0)
    assert pipeline.engine is not None

    def dead_begin():  # type: ignore[no-untyped-def]
        raise OperationalError("BEGIN", {}, Exception("unable to open database file"))

    pipeline.engine.begin = dead_begin  # type: ignore[method-assign]
    feed(pipeline, item(1), close=True)
    assert pipeline.stats.get_value("storage/failed_batches") == 1
    assert pipeline.stats.get_value("storage/spooled_items") == 1
    assert not pipeline.stats.get_value("storage/lost_items")
    assert list((tmp_path / "spool").glob("*.jsonl"))

    # The database is back: the next run stores the spooled article first, then the spool goes.
    again = open_pipeline(url)
    feed(again, close=True)
    assert again.stats.get_value("storage/replayed_items") == 1
    assert count(url, "SELECT count(*) FROM articles") == 1
    assert not list((tmp_path / "spool").glob("*.jsonl"))


def test_a_half_written_last_spool_line_is_skipped_and_the_rest_replayed(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    path = write_spool(tmp_path / "spool", [item(1), item(2)])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(item_to_json(item(3))[:40])  # killed mid-line
    pipeline = open_pipeline(url)
    feed(pipeline, close=True)
    assert count(url, "SELECT count(*) FROM articles") == 2
    assert not path.exists()


def test_a_spool_file_is_complete_or_absent_never_half_written(tmp_path, monkeypatch):
    import crawler.storage.spool as spool

    real = spool.item_to_json
    calls = {"n": 0}

    def dies_on_the_second(one):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("killed while writing")
        return real(one)

    monkeypatch.setattr(spool, "item_to_json", dies_on_the_second)
    with pytest.raises(OSError):
        write_spool(tmp_path / "spool", [item(1), item(2), item(3)])
    assert list((tmp_path / "spool").iterdir()) == []
    # A temporary file left by a kill -9 is not a spool file.
    (tmp_path / "spool" / ".spool-000000000000001-1-000000.jsonl.tmp").write_text("{")
    assert spool.spool_files(tmp_path / "spool") == []


def test_spool_files_come_back_in_the_order_they_were_written(tmp_path):
    from crawler.storage.spool import read_spool, spool_files

    for n in range(30):  # many in the same millisecond
        write_spool(tmp_path, [item(n)])
    assert [next(read_spool(p)).url for p in spool_files(tmp_path)] == [
        item(n).url for n in range(30)]


def test_a_spooled_item_keeps_its_fields_tags_and_dates():
    original = item(7)
    original.published_at = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    original.tags = [Tag("自动化", "industry", 0.5)]
    back = item_from_json(item_to_json(original))
    assert back.published_at == original.published_at
    assert back.tags == original.tags
    assert back.url == original.url and back.body == original.body


def test_a_row_the_database_rejects_does_not_block_the_others(sqlite_url):
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=3)
    feed(pipeline,
         item(1),
         item(2, published_at=datetime(2024, 3, 11, 14, 20)),  # naive: refused
         item(3),
         close=True)
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 2
    assert pipeline.stats.get_value("storage/rejected") == 1
    assert not pipeline.buffer


def test_a_slow_database_does_not_hold_up_the_crawl_until_the_backlog_is_full(sqlite_url):
    """Writes happen in a thread: items go on while a batch is being written, and wait only
    once STORAGE_BACKLOG_BATCHES full batches are queued behind it (memory stays bounded)."""
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=2, STORAGE_BACKLOG_BATCHES=2)
    release = hold_writes(pipeline)
    waited: list[int] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for n in range(8):
            started = loop.time()
            task = asyncio.ensure_future(pipeline.process_item(item(n)))
            await asyncio.sleep(0.05)
            if not task.done():
                waited.append(n)
                assert len(pipeline.buffer) <= 4
                release.set()
            await task
            assert loop.time() - started < 10
        await pipeline.close_spider()

    asyncio.run(run())
    assert waited and waited[0] >= 4  # the first items went on while the database stalled
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 8


def test_waiting_on_a_batch_that_has_just_finished_does_not_spin(sqlite_url):
    """A full backlog waits for the batch in flight; when that batch is done but its done
    callback has not run yet, the wait must yield to the loop (it once spun at 100 % CPU
    forever, hanging a crawl whose database was slower than it)."""
    pipeline = open_pipeline(sqlite_url, STORAGE_BATCH_SIZE=1, STORAGE_BACKLOG_BATCHES=1)
    finished = threading.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        done.add_done_callback(pipeline._flush_done)  # type: ignore[arg-type]
        done.set_result(True)  # the callback is only scheduled now
        pipeline._flushing = done  # type: ignore[assignment]
        await pipeline.process_item(item(1))
        await pipeline.close_spider()
        finished.set()

    runner = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    runner.start()
    assert finished.wait(30), "process_item spun on a finished flush"
    assert count(sqlite_url, "SELECT count(*) FROM articles") == 1
