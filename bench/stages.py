"""CPU per page of each stage of a crawl, on the pages bench/crawl_throughput.py serves.

Runs each stage over the same articles in this process, as the crawl runs them, and prints
the median milliseconds per article: decode, list-page links (per list page), parse (lxml's
parse of the UTF-8 page and the removal of scripts and styles), extraction (decode + parse +
fields, all of it), normalize, attribution, dedup fingerprint, tagging, and storage (batched
writes with the dedup decision, into a fresh SQLite file).

Usage: ``python bench/stages.py [--articles N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy.utils.test import get_crawler  # noqa: E402

from crawler.extraction import decode_html, extract_response  # noqa: E402
from crawler.extraction.dom import parse  # noqa: E402
from crawler.extraction.links import list_page_links  # noqa: E402
from crawler.items import ArticleItem  # noqa: E402
from pipelines.attribution import AttributionPipeline  # noqa: E402
from pipelines.dedup import DedupPipeline  # noqa: E402
from pipelines.normalize import NormalizePipeline  # noqa: E402
from pipelines.storage import StoragePipeline  # noqa: E402
from pipelines.tagging import TaggingPipeline  # noqa: E402
from simulator.sites import build_gkong  # noqa: E402


def per_call(label: str, inputs: list[Any], stage: Callable[[Any], Any]) -> list[Any]:
    out = []
    times = []
    for value in inputs:
        started = time.process_time()
        out.append(stage(value))
        times.append(time.process_time() - started)
    print(f"{label:<22} {1000 * statistics.median(times):7.3f} ms "
          f"(mean {1000 * statistics.fmean(times):.3f})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    import crawler.settings as ours

    settings = {k: getattr(ours, k) for k in dir(ours) if k.isupper() and k != "TWISTED_REACTOR"}
    site = build_gkong(n_articles=args.articles, per_page=50, clutter=45_000,
                       paragraphs=(6, 12), menu_links=250, other_links=40)
    base = "http://127.0.0.1:8000"
    lists = [(p, page.body) for p, page in site.pages.items() if "index" in p]
    articles = [(p, site.pages[str(a["url_path"])].body) for a in site.articles
                for p in [str(a["url_path"])]]
    now = datetime.now(UTC)
    print(f"{len(articles)} articles of {statistics.fmean(len(b) for _, b in articles) / 1024:.0f}"
          f" KB, {len(lists)} list pages; CPU per call, median:")
    per_call("list page links", lists, lambda pb: list_page_links(
        pb[1], None, base + pb[0], ("127.0.0.1:8000",), 1))
    per_call("decode", articles, lambda pb: decode_html(pb[1], None))
    per_call("parse (lxml)", articles, lambda pb: parse(pb[1]))
    extracted = per_call("extract (all)", articles, lambda pb: extract_response(
        pb[1], None, base + pb[0], None, now)[0])
    items = [ArticleItem(url=base + p, fetched_url=base + p, portal="bench", portal_name="基准",
                         section="行业动态", title=e.title or "", body=e.body or "",
                         published_text=e.published_text, byline_text=e.byline_text,
                         footer_text=e.footer_text, meta=dict(e.meta), fetched_at=now)
             for (p, _), e in zip(articles, extracted, strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        crawler = get_crawler(settings_dict={**settings, "DATABASE_URL": f"sqlite:///{tmp}/s.db"})
        normalize = NormalizePipeline.from_crawler(crawler)
        attribution = AttributionPipeline.from_crawler(crawler)
        dedup = DedupPipeline.from_crawler(crawler)
        tagging = TaggingPipeline.from_crawler(crawler)
        tagging.open_spider()
        items = per_call("normalize", items, normalize.process_item)
        items = per_call("attribution", items, attribution.process_item)
        items = per_call("dedup fingerprint", items, dedup.process_item)
        items = per_call("tagging", items, tagging.process_item)
        storage = StoragePipeline.from_crawler(crawler)
        storage.open_spider(SimpleNamespace(crawl_run_id=None))
        batch = storage.batch_size
        writer = storage.writer
        chunks = [items[i:i + batch] for i in range(0, len(items), batch)]
        started = time.process_time()
        for chunk in chunks:
            writer.write(chunk, None)
        spent = time.process_time() - started
        print(f"{'storage (batched)':<22} {1000 * spent / len(items):7.3f} ms per article")
        asyncio.run(storage.close_spider())


if __name__ == "__main__":
    main()
