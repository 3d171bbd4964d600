"""Batch gates: items wait for a batch, then go on together, in order, none lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from crawler.config import ConfigError
from pipelines.batching import BatchGate, BeforeTagging


class Recorder:
    """A pipeline that notes which item it saw when."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def process_item(self, item: Any) -> Any:
        self.log.append(f"{self.name}{item}")
        return item


async def _chain(item: int, steps: list[Any]) -> int:
    for step in steps:
        result = step.process_item(item)
        item = await result if asyncio.iscoroutine(result) else result
    return item


def test_gates_make_each_pipeline_run_over_a_batch_back_to_back() -> None:
    log: list[str] = []
    steps = [BatchGate(size=3, delay=10, gap=10), Recorder("a", log),
             BeforeTagging(size=3, delay=10, gap=10), Recorder("b", log)]

    async def crawl() -> list[int]:
        return await asyncio.gather(*(_chain(i, steps) for i in range(3)))

    assert asyncio.run(crawl()) == [0, 1, 2]
    # Pipeline-major: a over the whole batch, then b over it, each in arrival order.
    assert log == ["a0", "a1", "a2", "b0", "b1", "b2"]


def test_a_partial_batch_goes_on_after_the_delay() -> None:
    gate = BatchGate(size=100, delay=0.01)

    async def crawl() -> list[int]:
        return await asyncio.wait_for(
            asyncio.gather(*(_chain(i, [gate]) for i in range(5))), timeout=5
        )

    assert asyncio.run(crawl()) == [0, 1, 2, 3, 4]


def test_closing_the_spider_lets_every_waiting_item_on() -> None:
    gate = BatchGate(size=100, delay=60, gap=60)

    async def crawl() -> list[int]:
        waiting = [asyncio.ensure_future(_chain(i, [gate])) for i in range(4)]
        await asyncio.sleep(0)
        assert not any(task.done() for task in waiting)
        gate.close_spider()
        return await asyncio.gather(*waiting)

    assert asyncio.run(crawl()) == [0, 1, 2, 3]


def test_size_one_means_no_waiting() -> None:
    gate = BatchGate(size=1, delay=60)
    assert asyncio.run(asyncio.wait_for(_chain(7, [gate]), timeout=1)) == 7


def test_when_items_stop_coming_the_batch_goes_on_without_waiting_out_the_delay() -> None:
    gate = BatchGate(size=100, delay=60, gap=0.02)

    async def crawl() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.wait_for(asyncio.gather(*(_chain(i, [gate]) for i in range(5))), 5)
        return loop.time() - start

    assert asyncio.run(crawl()) < 1  # the gap (0.02 s) ended the batch, not the delay (60 s)


def test_a_steady_stream_keeps_filling_the_batch_past_the_gap() -> None:
    gate = BatchGate(size=6, delay=60, gap=0.05)
    released: list[tuple[int, int]] = []  # (item, items that had arrived when it went on)

    async def crawl() -> None:
        arrived = 0

        async def one(i: int) -> None:
            nonlocal arrived
            arrived += 1
            await _chain(i, [gate])
            released.append((i, arrived))

        tasks = []
        for i in range(6):  # one item every 0.01 s: never 0.05 s of quiet
            tasks.append(asyncio.ensure_future(one(i)))
            await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.gather(*tasks), 5)

    asyncio.run(crawl())
    assert [i for i, _ in released] == list(range(6))
    assert all(count == 6 for _, count in released)  # all went on together, when full


@pytest.mark.parametrize(("size", "delay", "gap", "key"), [(0, 0.05, 0.01, "BATCH_SIZE"),
                                                           (16, -1, 0.01, "BATCH_DELAY"),
                                                           (16, 0.05, 0, "BATCH_GAP")])
def test_bad_settings_name_the_setting(size: int, delay: float, gap: float, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        BatchGate(size=size, delay=delay, gap=gap)


@pytest.mark.parametrize(
    ("settings", "gated"),
    [({"STORAGE_WORKERS": 0, "DEDUP_WORKERS": 0}, True),  # hashing in the crawl process
     ({"STORAGE_WORKERS": 1, "DEDUP_WORKERS": 0}, False),  # ... in the storage worker
     ({"STORAGE_WORKERS": 0, "DEDUP_WORKERS": 1}, False),  # ... in a dedup worker
     ({"DEDUP_ENABLED": False}, False)],
)
def test_the_dedup_gate_is_there_only_when_dedup_hashes_in_the_crawl_process(
    settings: dict[str, Any], gated: bool
) -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from pipelines.batching import BeforeDedup

    crawler = get_crawler(settings_dict=settings)
    if gated:
        assert isinstance(BeforeDedup.from_crawler(crawler), BeforeDedup)
    else:
        with pytest.raises(NotConfigured):
            BeforeDedup.from_crawler(crawler)
