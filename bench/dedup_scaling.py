"""Does the duplicate lookup stay flat as the archive grows? ``DedupIndex.first_copy`` timed at
10k, 100k and 1M stored articles.

Usage::

    python bench/dedup_scaling.py [--sizes 10000,100000,1000000] [--queries 300]
                                  [--sqlite PATH] [--postgres URL]

The database is filled directly (no pipeline): synthetic articles with random fingerprints
(uniform simhash, random content hash and eight random sentence anchors, a short body) plus
the 40 real articles of ``tests/fixtures/dedup_pairs.yaml`` with their true keys, written with
``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in big transactions. The sizes are cumulative:
the 100k step adds 90k rows to the 10k database.

Then ``first_copy`` runs as storage runs it -- inside a write transaction (rolled back here) --
for three kinds of queries:

* ``exact``: a fixture article under another portal (content-hash hit);
* ``near``: an edited reprint of a fixture article (the positive pairs: dropped paragraph,
  added lead, editor line ...), found via bands/anchors and verified;
* ``miss``: a new text made of sentences of three different fixture articles, so it DOES share
  anchors with stored ones and pays for candidate verification before coming back empty.

It prints mean, median and p95 milliseconds per kind and size, the ratio of the median to the
first size's (``x1st``; the median, because other jobs on a shared box inflate mean and p95),
and the share of near queries answered with the right first copy. ``--postgres`` takes a URL to an
EMPTY database that the bench may fill (it is not dropped).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from crawler.items import ArticleItem  # noqa: E402
from crawler.storage.engine import make_engine, upgrade_database  # noqa: E402
from pipelines.dedup import (  # noqa: E402
    ANCHOR_BAND,
    ANCHORS,
    DedupIndex,
    DedupPipeline,
    band_keys,
    to_signed64,
)
from tests.test_pipeline_dedup import PAIRS_FILE, edited  # noqa: E402

STAMP = "2026-11-27 00:00:00.000000"
CHUNK = 50_000


def _item(url: str, portal: str, body: str) -> ArticleItem:
    item = ArticleItem(url=url, fetched_url=url, portal=portal, portal_name=portal,
                       section=None, title=body[:20], body=body)
    return DedupPipeline(None).process_item(item)


def _synthetic(start: int, stop: int, rng: random.Random) -> Iterator[tuple[tuple, list[tuple]]]:
    """(article row, key rows) for synthetic ids ``start..stop-1``."""
    for i in range(start, stop):
        simhash = to_signed64(rng.getrandbits(64))
        digest = hashlib.blake2b(i.to_bytes(8, "little"), digest_size=32).hexdigest()
        row = (i, f"https://synthetic.example/{i}", f"p{i % 20}", "synthetic", f"synthetic {i}",
               digest, simhash, STAMP, STAMP, False)
        keys = [(band, key, i) for band, key in band_keys(simhash)]
        keys += [(ANCHOR_BAND, to_signed64(rng.getrandbits(64)), i) for _ in range(ANCHORS)]
        yield row, keys


def _fixture_rows(start: int) -> tuple[list[tuple], list[tuple], dict[str, int]]:
    """The real fixture articles as rows with ids from ``start``; their keys via the index."""
    import yaml

    data = yaml.safe_load(PAIRS_FILE.read_text(encoding="utf-8"))
    rows, keys, ids = [], [], {}
    index = DedupIndex()
    for offset, article in enumerate(data["articles"]):
        article_id = start + offset
        item = _item(f"https://fixture.example/{article['id']}", "fixture",
                     "\n".join(article["paragraphs"]))
        rows.append((article_id, item.url, "fixture", item.title, item.body, item.content_hash,
                     item.simhash, STAMP, STAMP, False))
        keys += [(band, key, article_id) for band, key in index._keys(item)]
        ids[article["id"]] = article_id
    return rows, keys, ids


COLUMNS = ("id", "url", "portal", "title", "body", "content_hash", "simhash", "first_seen_at",
           "last_seen_at", "is_reprint")


def _writer(engine: Engine) -> Callable[[list[tuple], list[tuple]], None]:
    """A function that writes article rows and key rows in one transaction, the fast way."""
    if engine.dialect.name == "postgresql":
        def write_pg(rows: list[tuple], keys: list[tuple]) -> None:
            raw = engine.raw_connection()
            try:
                cur = raw.cursor()
                with cur.copy(f"COPY articles ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                with cur.copy("COPY dedup_keys (band, key, article_id) FROM STDIN") as copy:
                    for key in keys:
                        copy.write_row(key)
                raw.commit()
            finally:
                raw.close()
        return write_pg

    def write_sqlite(rows: list[tuple], keys: list[tuple]) -> None:
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA cache_size=-1000000")  # 1 GB: random B-tree inserts stay in RAM
            cur.execute("BEGIN")
            cur.executemany(
                f"INSERT INTO articles ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join('?' * len(COLUMNS))})", rows)
            cur.executemany("INSERT INTO dedup_keys (band, key, article_id) VALUES (?, ?, ?)",
                            keys)
            cur.execute("COMMIT")
        finally:
            raw.close()
    return write_sqlite


def _queries(ids: dict[str, int], rng: random.Random) -> dict[str, list[tuple[ArticleItem, Any]]]:
    import yaml

    data = yaml.safe_load(PAIRS_FILE.read_text(encoding="utf-8"))
    articles = {a["id"]: a["paragraphs"] for a in data["articles"]}
    exact = [(_item(f"https://other.example/{aid}", "other", "\n".join(paras)), ids[aid])
             for aid, paras in articles.items()]
    near = [(_item(f"https://other.example/near/{n}", "other",
                   edited(articles[p["a"]], p["edits"])), ids[p["a"]])
            for n, p in enumerate(data["positives"])]
    sentences = [[s for s in "\n".join(paras).replace("。", "。\n").splitlines() if s]
                 for paras in articles.values()]
    miss = []
    for n in range(60):
        picked = rng.sample(sentences, 3)
        body = "\n".join(rng.choice(s) + rng.choice(s) for s in picked)
        miss.append((_item(f"https://other.example/miss/{n}", "other", body), None))
    return {"exact": exact, "near": near, "miss": miss}


def _time_queries(engine: Engine, queries: dict[str, list[tuple[ArticleItem, Any]]],
                  total: int) -> dict[str, tuple[float, float, float, float]]:
    """kind -> (mean ms, median ms, p95 ms, share answered as expected)."""
    index = DedupIndex()
    results = {}
    with engine.connect() as conn:
        for kind, cases in queries.items():
            for item, _ in cases:  # warm up: statement caches, pages of the fixture rows
                with conn.begin() as tx:
                    index.first_copy(conn, item)
                    tx.rollback()
            times, right = [], 0
            rounds = max(1, total // (3 * len(cases)))
            for _ in range(rounds):
                for item, expected in cases:
                    with conn.begin() as tx:
                        start = time.perf_counter()
                        found = index.first_copy(conn, item)
                        times.append((time.perf_counter() - start) * 1e3)
                        tx.rollback()
                    right += (found[0] if found else None) == expected
            times.sort()
            results[kind] = (statistics.fmean(times), statistics.median(times),
                             times[int(0.95 * (len(times) - 1))], right / len(times))
    return results


def run(engine: Engine, sizes: list[int], total_queries: int) -> None:
    upgrade_database(engine)
    rng = random.Random(20261127)
    write = _writer(engine)
    fixture_rows, fixture_keys, ids = _fixture_rows(start=1)
    write(fixture_rows, fixture_keys)
    queries = _queries(ids, rng)
    next_id, baseline = len(fixture_rows) + 1, None
    print(f"{engine.dialect.name}: {total_queries} queries per size, ms per first_copy call")
    print(f"{'articles':>10} {'fill s':>7} {'key rows':>9}  " + "  ".join(
        f"{k + ' mean':>10} {'p50':>5} {'p95':>6} {'x1st':>5}" for k in queries) + "  near ok")
    for size in sizes:
        started, key_rows = time.perf_counter(), 0
        while next_id <= size:
            stop = min(size + 1, next_id + CHUNK)
            rows, keys = [], []
            for row, row_keys in _synthetic(next_id, stop, rng):
                rows.append(row)
                keys += row_keys
            write(rows, keys)
            key_rows += len(keys)
            next_id = stop
        fill = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE articles")
                conn.exec_driver_sql("ANALYZE dedup_keys")
        timings = _time_queries(engine, queries, total_queries)
        baseline = baseline or timings
        cells = "  ".join(f"{mean:10.2f} {p50:5.2f} {p95:6.2f} {p50 / baseline[k][1]:5.2f}"
                          for k, (mean, p50, p95, _) in timings.items())
        print(f"{size:>10,} {fill:7.1f} {key_rows:>9,}  {cells}  {timings['near'][3]:.2f}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--sqlite", help="SQLite file to fill (default: a temporary file)")
    parser.add_argument("--postgres", help="URL of an empty PostgreSQL database to fill")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.postgres:
        engine = make_engine(args.postgres)
        run(engine, sizes, args.queries)
        engine.dispose()
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.sqlite) if args.sqlite else Path(tmp) / "dedup_bench.db"
        engine = make_engine(f"sqlite:///{path}")
        run(engine, sizes, args.queries)
        engine.dispose()


if __name__ == "__main__":
    main()
