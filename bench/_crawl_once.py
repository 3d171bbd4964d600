"""One measured crawl in this process (run by crawl_throughput.py as a child process).

Prints one JSON line: pages fetched, wall seconds between the first request the engine
schedules and the spider's close, CPU seconds in that window of this process and of all
processes (its extraction workers included), peak RSS. Start-up (imports, jieba's dictionary,
the workers' warm-up, the collector's freeze of the start-up objects, the ``crawl_runs`` row:
everything the extensions and pipelines do when the spider opens) is outside the window for
both modes alike.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

import psutil
import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


class BareSpider(scrapy.Spider):
    """Downloads the same pages as the full crawl and does nothing with them."""

    name = "bare"

    def __init__(self, urls_file: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = Path(urls_file).read_text().split()

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        return None


class _TreeCpu:
    """CPU seconds of this process and its worker processes.

    The workers are found once, when the spider opens (every pool is started by then), and
    sampled every 200 ms in a thread: rescanning /proc for children at every sample cost the
    measured process a visible share of its CPU. The last sample before the workers exit
    stands for them.
    """

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.children: list[psutil.Process] = []
        self.last = 0.0
        self.first_each: dict[int, float] = {}
        self.last_each: dict[int, float] = {}

    def start(self) -> float:
        self.children = self.proc.children(recursive=True)
        self.first_each = self.last_each = self.each()
        self.last = sum(self.first_each.values())
        threading.Thread(target=self._sample, daemon=True).start()
        return self.last

    def each(self) -> dict[int, float]:
        """CPU seconds per process id (the crawl process and each worker)."""
        seconds: dict[int, float] = {}
        for proc in [self.proc, *self.children]:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            seconds[proc.pid] = times.user + times.system
        return seconds

    def _sample(self) -> None:
        while True:
            each = self.each()
            if sum(each.values()) >= self.last:
                self.last, self.last_each = sum(each.values()), each
            time.sleep(0.2)


def main() -> None:
    mode, target = sys.argv[1], sys.argv[2]
    os.chdir(Path(__file__).resolve().parent.parent)
    settings = get_project_settings()
    settings.setdict({
        "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "LOG_LEVEL": "WARNING",
        "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False, "PORTAL_MAX_PAGES": 1000,
    }, priority="cmdline")
    # BENCH_SETTINGS='{"ITEM_PIPELINES": {}}' measures the crawl with parts switched off.
    settings.setdict(json.loads(os.environ.get("BENCH_SETTINGS", "{}")), priority="cmdline")
    if mode == "bare":
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
        settings.set("EXTENSIONS", {}, priority="cmdline")
        # Scrapy's stock middlewares: the yardstick is what a bare Scrapy spider runs.
        settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
        settings.set("SPIDER_MIDDLEWARES", {}, priority="cmdline")
    window: dict[str, float] = {}
    tree = _TreeCpu()

    def first_request(request: scrapy.Request, spider: scrapy.Spider) -> None:
        if "t0" in window:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        window["t0"], window["c0"] = time.perf_counter(), usage.ru_utime + usage.ru_stime
        window["a0"] = tree.start()

    def closed(spider: scrapy.Spider) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        window["t1"], window["c1"] = time.perf_counter(), usage.ru_utime + usage.ru_stime
        window["a1"] = tree.last  # workers may already be shut down: last sample

    process = CrawlerProcess(settings)
    if mode == "bare":
        crawler = process.create_crawler(BareSpider)
        kwargs = {"urls_file": target}
    else:
        crawler = process.create_crawler("portal")
        kwargs = {}
    crawler.signals.connect(first_request, signal=signals.request_scheduled)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, **kwargs)
    process.start()
    stats = crawler.stats.get_stats()
    if os.environ.get("BENCH_STATS"):  # what the pipelines did, for reading a profile
        picked = {k: v for k, v in stats.items() if k.startswith(("dedup/", "storage/"))}
        print(json.dumps(picked), file=sys.stderr)
    pages = max(1, stats.get("downloader/response_count", 0))
    workers = sorted((1000 * (cpu - tree.first_each.get(pid, 0.0)) / pages
                      for pid, cpu in tree.last_each.items() if pid != tree.proc.pid), reverse=True)
    print(json.dumps({
        "pages": stats.get("downloader/response_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "stored": stats.get("storage/new", 0),
        "seconds": window["t1"] - window["t0"],
        "cpu": window["c1"] - window["c0"],
        "cpu_all": max(window["a1"] - window["a0"], window["c1"] - window["c0"]),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_cpu_ms": [round(ms, 2) for ms in workers if ms > 0.005],  # per page, each
    }))


if __name__ == "__main__":
    main()
