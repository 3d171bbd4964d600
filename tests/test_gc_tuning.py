"""The crawl process freezes its start-up objects and collects young garbage less often."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref
from collections.abc import Iterator

import pytest
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler.extensions.gc_tuning import DEFAULT_THRESHOLD, GcTuning, parse_threshold


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    gc.enable()


def test_the_project_turns_it_on_with_its_thresholds(restored_gc: None) -> None:
    settings = get_project_settings()
    assert "crawler.extensions.gc_tuning.GcTuning" in settings.getdict("EXTENSIONS")
    ours = {name: settings[name] for name in ("GC_FREEZE", "GC_THRESHOLD")}
    extension = GcTuning.from_crawler(get_crawler(settings_dict=ours))
    assert extension.freeze is True
    assert extension.threshold == DEFAULT_THRESHOLD


def test_while_the_spider_is_open_start_up_objects_are_frozen_and_thresholds_set(
    restored_gc: None,
) -> None:
    gc.unfreeze()
    start_up = [{"a": [1]} for _ in range(1000)]  # tracked objects that live for the crawl
    extension = GcTuning.from_crawler(get_crawler(settings_dict={"GC_THRESHOLD": "4000,15,12"}))
    before = gc.get_threshold()
    extension.spider_opened()
    assert gc.get_freeze_count() >= len(start_up)
    assert gc.get_threshold() == (4000, 15, 12)

    extension.spider_closed()  # the next crawl of the same process starts afresh
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_cyclic_garbage_made_during_the_crawl_is_still_collected(restored_gc: None) -> None:
    GcTuning(freeze=True, threshold=DEFAULT_THRESHOLD).spider_opened()

    class Node:
        other: object

    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: reference counting alone never frees it
    alive = weakref.ref(a)
    del a, b
    kept = [[] for _ in range(4 * DEFAULT_THRESHOLD[0])]  # a crawl's allocations go on
    assert alive() is None, "the young generation was never collected"
    del kept


def test_switched_off_it_leaves_the_collector_alone(restored_gc: None) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"GC_FREEZE": False, "GC_THRESHOLD": ""})
    GcTuning.from_crawler(crawler).spider_opened()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


_EXIT_PROBE = textwrap.dedent("""
    import logging, sys
    from scrapy.utils.test import get_crawler
    from crawler.extensions.gc_tuning import GcTuning

    class Cycle:
        def __del__(self):
            print("cycle collected at exit", flush=True)

    logging.basicConfig(stream=sys.stderr, format="%(message)s")
    settings = {} if sys.argv[1] == "default" else {"GC_FREEZE_AT_EXIT": False}
    GcTuning.from_crawler(get_crawler(settings_dict=settings))
    GcTuning.from_crawler(get_crawler(settings_dict=settings))  # a second crawl, same process
    a, b = Cycle(), Cycle()
    a.other, b.other = b, a  # garbage only a collection would find
    del a, b
    logging.getLogger("probe").warning("last log line")
    sys.exit(3)
""")


def _exit_probe(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _EXIT_PROBE, mode], capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_crawl_process_exits_without_walking_its_objects_again() -> None:
    done = _exit_probe("default")
    assert "cycle collected at exit" not in done.stdout, "the exit collection still ran"
    # Exit is otherwise unchanged: its status, and the log handlers flushed.
    assert done.returncode == 3
    assert done.stderr.strip().endswith("last log line")


def test_with_freezing_at_exit_off_the_exit_collection_runs() -> None:
    done = _exit_probe("off")
    assert done.stdout.count("cycle collected at exit") == 2
    assert done.returncode == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [([5000, 20, 20], (5000, 20, 20)), ("5000,20,20", (5000, 20, 20)), (" 800 ", (800,)),
     ("", None), ([], None), (None, None)],
)
def test_thresholds_are_read_from_a_list_or_a_command_line_string(value, expected) -> None:
    assert parse_threshold(value) == expected


@pytest.mark.parametrize("value", ["many", "5000,-1", "1,2,3,4", [5000, "x"]])
def test_a_bad_threshold_names_the_setting_and_the_fix(value) -> None:
    with pytest.raises(ValueError, match=r"GC_THRESHOLD=.*e\.g\. 5000,20,20"):
        parse_threshold(value)


def test_the_collector_pauses_while_the_crawl_loads_and_runs_again_once_the_spider_opens(
    restored_gc: None,
) -> None:
    assert gc.isenabled()
    extension = GcTuning.from_crawler(get_crawler(settings_dict={"GC_FREEZE": True}))
    assert not gc.isenabled()  # middlewares and pipelines load next: nothing to collect yet
    extension.spider_opened()
    assert gc.isenabled()
    extension.spider_closed()
    assert gc.isenabled()


def test_a_crawl_that_stops_before_its_spider_opens_turns_the_collector_back_on(
    restored_gc: None,
) -> None:
    crawler = get_crawler(settings_dict={"GC_FREEZE": True})
    extension = GcTuning.from_crawler(crawler)
    assert not gc.isenabled()
    extension.resume()  # what engine_stopped calls
    assert gc.isenabled()


def test_switched_off_it_never_pauses_the_collector(restored_gc: None) -> None:
    GcTuning.from_crawler(get_crawler(settings_dict={"GC_FREEZE": False}))
    assert gc.isenabled()
