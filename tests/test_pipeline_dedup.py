"""Duplicate detection as users rely on it: one row per URL, reprints linked to the first copy,
different stories kept apart, and the same answer when two crawls store a story at once.

``python -m tests.test_pipeline_dedup`` prints the precision/recall table quoted in
``pipelines/dedup.py``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
from array import array
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from scrapy.exceptions import NotConfigured
from sqlalchemy import create_engine, event, insert, select, text

from crawler.config.loading import project_settings
from crawler.items import ArticleItem
from crawler.storage.engine import DriverStatement, make_engine, upgrade_database
from crawler.storage.tables import articles
from pipelines.dedup import (
    DedupIndex,
    DedupPipeline,
    band_keys,
    containment,
    contains_at_least,
    content_hash,
    dedup_keys,
    fingerprint,
    hamming,
    normalized_text,
    same_story,
    shingle_set,
    simhash_of_normalized,
)
from pipelines.storage import StoragePipeline
from tests.conftest import project_crawler

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = project_settings()
MIN_CHARS = SETTINGS.getint("DEDUP_MIN_CHARS")
PAIRS_FILE = Path(__file__).parent / "fixtures" / "dedup_pairs.yaml"

# -- the labelled pair set -------------------------------------------------------------------

_PUNCT = str.maketrans({"，": ", ", "。": ". ", "：": ":", "；": ";", "（": "(", "）": ")",
                        "“": '"', "”": '"', "、": ","})


def _punct(line: str) -> str:
    """Half-width punctuation and full-width digits, as another portal's template renders."""
    line = line.translate(_PUNCT)
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isdigit() else c for c in line)


def edited(paragraphs: list[str], edits: dict[str, Any]) -> str:
    """The body of a reprint: ``paragraphs`` with the edits of a positive pair applied."""
    out = list(paragraphs)
    for old, new in edits.get("replace", []):
        out = [p.replace(old, new, 1) for p in out]
    if "drop" in edits:
        del out[edits["drop"]]
    if "lead" in edits:
        out[0] = f"{edits['lead']}\u3000{out[0]}"
    if "tail" in edits:
        out.append(edits["tail"])
    if edits.get("punct"):
        out = [_punct(p) for p in out]
    if edits.get("merge"):
        out = [" ".join(out)]
    return "\n".join(out)


@dataclass(frozen=True)
class Pair:
    name: str
    first: str
    second: str
    same: bool


def load_pairs() -> list[Pair]:
    data = yaml.safe_load(PAIRS_FILE.read_text(encoding="utf-8"))
    articles = {a["id"]: a["paragraphs"] for a in data["articles"]}
    pairs = [
        Pair(f"{p['a']} {p['edits']}", "\n".join(articles[p["a"]]),
             edited(articles[p["a"]], p["edits"]), True)
        for p in data["positives"]
    ]
    for p in data["negatives"]:
        tail = [data["boilerplate"][p["both_tail"]]] if "both_tail" in p else []
        pairs.append(Pair(f"{p['a']} / {p['b']} +{p.get('both_tail', '')}",
                          "\n".join(articles[p["a"]] + tail), "\n".join(articles[p["b"]] + tail),
                          False))
    return pairs


def precision_recall(pairs: list[Pair], decide: Any) -> tuple[float, float]:
    tp = sum(1 for p in pairs if p.same and decide(p))
    fp = sum(1 for p in pairs if not p.same and decide(p))
    fn = sum(1 for p in pairs if p.same and not decide(p))
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


PAIRS = load_pairs()


def test_pair_set_is_big_and_hard_enough() -> None:
    positives = [p for p in PAIRS if p.same]
    negatives = [p for p in PAIRS if not p.same]
    assert len(positives) >= 40 and len(negatives) >= 40
    # simhash alone cannot separate them: some reprint is farther than some different story
    far_reprint = max(hamming(fingerprint(p.first).simhash, fingerprint(p.second).simhash)
                      for p in positives)
    near_other = min(hamming(fingerprint(p.first).simhash, fingerprint(p.second).simhash)
                     for p in negatives)
    assert far_reprint > near_other


def test_reprints_and_different_stories_are_told_apart() -> None:
    """The decision rule with default settings on the labelled pairs (floors of the figures
    documented in pipelines/dedup.py)."""
    precision, recall = precision_recall(PAIRS, lambda p: same_story(p.first, p.second))
    wrong = [p.name for p in PAIRS if same_story(p.first, p.second) != p.same]
    assert precision >= 0.97, wrong
    assert recall >= 0.95, wrong


# -- fingerprints ----------------------------------------------------------------------------


def test_content_hash_ignores_width_punctuation_case_and_spacing() -> None:
    a = "ABB发布ACS580MV中压变频器，功率覆盖250千瓦至6300千瓦。\n适用于风机、水泵。"
    b = "ａｂｂ 发布 ACS580MV 中压变频器, 功率覆盖２５０千瓦至６３００千瓦.  适用于风机,水泵"
    assert content_hash(a) == content_hash(b)
    assert len(content_hash(a)) == 64
    assert content_hash(a) != content_hash(a.replace("6300", "6000"))


def test_normalisation_keeps_units_that_nfkc_spells_out() -> None:
    assert normalized_text("炉温达到1200℃，压力３ＭＰａ") == "炉温达到1200c压力3mpa"


def _reference_simhash(text: str) -> int:
    """The textbook per-shingle loop the packed big-int implementation must agree with."""
    mask = (1 << 64) - 1
    counts = [0] * 64
    shingles = [text[i:i + 3] for i in range(len(text) - 2)]
    for shingle in shingles:
        x = 0
        for pos, char in enumerate(shingle):
            x ^= ord(char) << (21 * pos)
        product = (x ^ 0x2D358DCCAA6C78A5) * 0x8BB84B93962EACC9
        x = ((product >> 64) ^ product) & mask
        for bit in range(64):
            counts[bit] += (x >> bit) & 1
    return sum(1 << bit for bit in range(64) if 2 * counts[bit] > len(shingles))


@pytest.mark.parametrize("pair", PAIRS[:6] + PAIRS[-3:], ids=lambda p: p.name[:30])
def test_fast_simhash_equals_the_textbook_definition(pair: Pair) -> None:
    for body in (pair.first, pair.second, pair.first[:5], "😀中文𠀀" * 7):
        text = normalized_text(body)
        assert simhash_of_normalized(text) == _reference_simhash(text)


@pytest.mark.parametrize("pair", PAIRS[:6] + PAIRS[-3:], ids=lambda p: p.name[:30])
def test_hashed_shingles_give_the_containment_of_the_3_gram_strings(pair: Pair) -> None:
    """The index compares sets of 64-bit shingle hashes; the rule is defined on 3-grams."""
    a, b = normalized_text(pair.first), normalized_text(pair.second)
    grams_a = {a[i:i + 3] for i in range(len(a) - 2)}
    grams_b = {b[i:i + 3] for i in range(len(b) - 2)}
    expected = len(grams_a & grams_b) / min(len(grams_a), len(grams_b))
    assert len(shingle_set(a)) == len(grams_a)
    assert containment(shingle_set(a), shingle_set(b)) == pytest.approx(expected)
    assert containment(shingle_set(a), array("Q", shingle_set(b))) == pytest.approx(expected)


def test_the_early_exit_check_decides_exactly_as_the_full_containment() -> None:
    """The index stops comparing once the answer is sure; the answer must not change."""
    thresholds = [0.0, 0.3, 0.5, 0.77, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0]
    checked = 0
    for pair in PAIRS:
        a, b = shingle_set(normalized_text(pair.first)), shingle_set(normalized_text(pair.second))
        for mine, theirs in ((a, b), (b, a), (a, frozenset(list(b)[:40])), (a, frozenset())):
            value = containment(mine, theirs)
            for threshold in [*thresholds, value]:  # the exact value: the boundary case
                assert contains_at_least(mine, array("Q", theirs), threshold) == (
                    value >= threshold), (pair.name, threshold, value)
                checked += 1
    assert checked > 3000


def test_simhash_is_signed_64_bit_and_stable_across_processes() -> None:
    body = PAIRS[0].first
    value = fingerprint(body).simhash
    assert -(2**63) <= value < 2**63
    code = ("import sys; from pipelines.dedup import fingerprint; "
            "print(fingerprint(sys.stdin.read()).simhash)")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], input=body, text=True, cwd=ROOT,
                             capture_output=True, check=True,
                             env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT)))
        assert int(out.stdout) == value


def _article(url: str, portal: str, body: str, **extra: Any) -> ArticleItem:
    return ArticleItem(url=url, fetched_url=url, portal=portal, portal_name=portal, section=None,
                       title=body.splitlines()[0][:30], body=body, **extra)


def test_pipeline_puts_both_fingerprints_on_the_item() -> None:
    pipeline = DedupPipeline.from_crawler(project_crawler())
    body = ("\n".join(p.first for p in PAIRS if p.same) * 3)[:3000]
    item = pipeline.process_item(_article("https://a.example/1", "a", body))
    assert item.content_hash == content_hash(body)
    assert item.simhash == fingerprint(body).simhash


def test_pipeline_can_be_switched_off() -> None:
    with pytest.raises(NotConfigured):
        DedupPipeline.from_crawler(project_crawler(DEDUP_ENABLED=False))


# -- through storage -------------------------------------------------------------------------


def _storage(database_url: str, **settings: Any) -> StoragePipeline:
    crawler = project_crawler(DATABASE_URL=database_url, STORAGE_BATCH_SIZE=1, **settings)
    pipeline = StoragePipeline.from_crawler(crawler)
    pipeline.open_spider(SimpleNamespace(crawl_run_id=None))
    return pipeline


def _store(pipeline: StoragePipeline, *items: ArticleItem) -> None:
    """Through the dedup pipeline into storage, as in a crawl; returns once they are written."""
    dedup = DedupPipeline(MIN_CHARS, pipeline.stats)

    async def run() -> None:
        for item in items:
            await pipeline.process_item(dedup.process_item(item))
        await pipeline.flush()

    asyncio.run(run())


def _close(pipeline: StoragePipeline) -> None:
    asyncio.run(pipeline.close_spider())


def _rows(database_url: str) -> dict[str, Any]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(select(articles.c.url, articles.c.id, articles.c.duplicate_of,
                                   articles.c.content_hash, articles.c.simhash)).all()
    engine.dispose()
    return {row.url: row for row in rows}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dedup.db'}"


BASE = PAIRS[0].first  # 镇海炼化 DCS revamp, four paragraphs


def test_same_url_twice_is_one_row(db_url: str) -> None:
    storage = _storage(db_url)
    _store(storage, _article("https://a.example/1", "a", BASE),
           _article("https://a.example/1", "a", BASE + "\n责任编辑：王敏"))
    _close(storage)
    assert len(_rows(db_url)) == 1


def test_identical_copy_on_the_same_portal_is_dropped_and_counted(db_url: str) -> None:
    storage = _storage(db_url)
    _store(storage, _article("https://a.example/1", "a", BASE),
           _article("https://a.example/print/1", "a", BASE.replace("，", ", ")))
    _close(storage)
    assert list(_rows(db_url)) == ["https://a.example/1"]
    assert storage.stats.get_value("storage/duplicate_dropped") == 1


def test_reprint_on_another_portal_points_at_the_first_copy(db_url: str) -> None:
    storage = _storage(db_url)
    first = _article("https://a.example/1", "a", BASE)
    exact = _article("https://b.example/9", "b", BASE.replace("，", ","), is_reprint=True)
    edited_copy = _article("https://c.example/7", "c",
                           edited(BASE.splitlines(), {"lead": "本网讯", "drop": 2,
                                                      "tail": "责任编辑：王敏"}))
    _store(storage, first, exact, edited_copy)
    _close(storage)
    rows = _rows(db_url)
    root = rows["https://a.example/1"]
    assert root.duplicate_of is None
    assert rows["https://b.example/9"].duplicate_of == root.id
    assert rows["https://c.example/7"].duplicate_of == root.id
    assert root.content_hash == content_hash(BASE)
    assert root.simhash == fingerprint(BASE).simhash


def test_a_copy_of_a_copy_points_at_the_first_copy(db_url: str) -> None:
    """The third copy is nearest to the second (both dropped paragraph 3), yet links the first."""
    paragraphs = BASE.splitlines()
    storage = _storage(db_url)
    _store(storage,
           _article("https://a.example/1", "a", BASE),
           _article("https://b.example/1", "b", edited(paragraphs, {"drop": 3})),
           _article("https://c.example/1", "c",
                    edited(paragraphs, {"drop": 3, "tail": "来源：中国石化新闻网"})))
    _close(storage)
    rows = _rows(db_url)
    root = rows["https://a.example/1"].id
    assert rows["https://b.example/1"].duplicate_of == root
    assert rows["https://c.example/1"].duplicate_of == root


def test_different_stories_on_the_same_topic_stay_apart(db_url: str) -> None:
    hard = [p for p in PAIRS if not p.same and "+disclaimer" in p.name]
    storage = _storage(db_url)
    for i, pair in enumerate(hard):
        _store(storage, _article(f"https://a.example/{i}", "a", pair.first),
               _article(f"https://a.example/{i}-other", "a", pair.second))
    _close(storage)
    rows = _rows(db_url)
    linked = [url for url, row in rows.items()
              if row.duplicate_of is not None
              and rows[url.removesuffix("-other")].id == row.duplicate_of]
    assert not linked


def test_every_labelled_pair_through_the_database(db_url: str) -> None:
    """The index's real, database-backed decision agrees with the labels."""
    storage = _storage(db_url)
    assert storage.engine is not None
    wrong = []
    for i, pair in enumerate(PAIRS):
        with storage.engine.begin() as conn:
            conn.execute(text("DELETE FROM articles"))
        _store(storage, _article(f"https://a.example/{i}", "a", pair.first),
               _article(f"https://b.example/{i}", "b", pair.second))
        rows = _rows(db_url)
        linked = rows[f"https://b.example/{i}"].duplicate_of == rows[f"https://a.example/{i}"].id
        if linked != pair.same:
            wrong.append(pair.name)
    _close(storage)
    assert len(wrong) <= 2, wrong


def test_a_recrawled_body_can_be_reindexed(db_url: str) -> None:
    storage = _storage(db_url)
    _store(storage, _article("https://a.example/1", "a", PAIRS[-1].first))
    assert storage.engine is not None and storage.writer is not None
    index = storage.writer.index
    assert isinstance(index, DedupIndex)
    item = DedupPipeline(MIN_CHARS).process_item(_article("https://a.example/1", "a", BASE))
    with storage.engine.begin() as conn:
        article_id = conn.execute(select(articles.c.id)).scalar_one()
        conn.execute(articles.update().values(
            body=BASE, content_hash=item.content_hash, simhash=item.simhash))
        index.refresh(conn, article_id, item)
    _store(storage, _article("https://b.example/1", "b", edited(BASE.splitlines(), {"drop": 1})))
    _close(storage)
    assert _rows(db_url)["https://b.example/1"].duplicate_of == article_id


def test_stats_count_exact_near_and_unique(db_url: str) -> None:
    crawler = project_crawler()
    index = DedupIndex.from_crawler(crawler)
    storage = _storage(db_url)
    assert storage.writer is not None
    storage.writer.index = index
    _store(storage,
           _article("https://a.example/1", "a", BASE),
           _article("https://b.example/1", "b", BASE),
           _article("https://c.example/1", "c", edited(BASE.splitlines(), {"drop": 1})),
           _article("https://d.example/1", "d", PAIRS[-1].second))
    _close(storage)
    assert crawler.stats.get_value("dedup/exact") == 1
    assert crawler.stats.get_value("dedup/near") == 1
    assert crawler.stats.get_value("dedup/unique") == 2


def test_lookups_use_indexes_not_a_scan_of_the_articles(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = _storage(db_url)
    _store(storage, *(_article(f"https://a.example/{i}", "a", p.first)
                      for i, p in enumerate(PAIRS) if p.same))
    assert storage.engine is not None
    statements: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    real_rows = DriverStatement.rows

    def remember_driver(self: DriverStatement, conn: Any, params: dict[str, Any]) -> Any:
        statements.append((self.sql, params))  # the index's hot lookups bypass the events
        return real_rows(self, conn, params)

    event.listen(storage.engine, "before_cursor_execute", remember)
    monkeypatch.setattr(DriverStatement, "rows", remember_driver)
    _store(storage, _article("https://b.example/1", "b",
                             edited(BASE.splitlines(), {"drop": 2, "lead": "本网讯"})))
    monkeypatch.undo()
    event.remove(storage.engine, "before_cursor_execute", remember)
    assert any("dedup_keys" in s for s, _ in statements)
    with storage.engine.connect() as conn:
        for statement, parameters in statements:
            plan = " | ".join(row[-1] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters))
            for table in ("articles", "dedup_keys"):
                assert f"SCAN {table}" not in plan.replace(" USING", "|"), (statement, plan)
    _close(storage)


def test_upgrade_backfills_bands_of_articles_stored_before_the_index(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade_database(engine, "0001")
    simhash = fingerprint(BASE).simhash
    with engine.begin() as conn:
        conn.execute(insert(articles).values(
            url="https://a.example/1", portal="a", title="t", body=BASE, simhash=simhash,
            content_hash=content_hash(BASE), first_seen_at=_now(), last_seen_at=_now()))
    upgrade_database(engine)
    with engine.connect() as conn:
        keys = conn.execute(select(dedup_keys.c.band, dedup_keys.c.key)).all()
    engine.dispose()
    assert sorted(keys) == sorted(band_keys(simhash))


def _now() -> Any:
    from crawler.storage.tables import utcnow

    return utcnow()


# -- two crawls at the same moment -----------------------------------------------------------

ROUNDS = 6


def _race_item(round_no: int, portal: str) -> ArticleItem:
    """Round r: both crawls store the same story (exact copies in even rounds, edited odd)."""
    pair = list({p.first: p for p in PAIRS if p.same}.values())[round_no]  # distinct stories
    body = pair.first if round_no % 2 == 0 or portal == "a" else pair.second
    return _article(f"https://{portal}.example/{round_no}", portal, body)


def _race_worker(database_url: str, portal: str, barrier: Any, done: Any) -> None:
    storage = _storage(database_url)
    dedup = DedupPipeline(MIN_CHARS, storage.stats)
    try:
        for round_no in range(ROUNDS):
            item = dedup.process_item(_race_item(round_no, portal))
            barrier.wait(timeout=60)
            _store(storage, item)  # batch size 1: the decision and insert happen now
        _close(storage)
        done.put((portal, storage.stats.get_value("storage/errors", 0)))
    except BaseException as exc:  # pragma: no cover - reported to the parent
        done.put((portal, repr(exc)))
        raise


def _race(database_url: str) -> None:
    upgrade_database(make_engine(database_url))  # both workers then start from the same schema
    ctx = multiprocessing.get_context("spawn")
    barrier, done = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_race_worker, args=(database_url, portal, barrier, done))
               for portal in ("a", "b")]
    for worker in workers:
        worker.start()
    results = dict(done.get(timeout=180) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert results == {"a": 0, "b": 0}
    rows = _rows(database_url)
    assert len(rows) == 2 * ROUNDS
    for round_no in range(ROUNDS):
        a, b = rows[f"https://a.example/{round_no}"], rows[f"https://b.example/{round_no}"]
        assert [a.duplicate_of, b.duplicate_of].count(None) == 1, round_no
        first, second = (a, b) if a.duplicate_of is None else (b, a)
        assert second.duplicate_of == first.id, round_no


def test_two_crawls_storing_one_story_at_once_sqlite(db_url: str) -> None:
    _race(db_url)


def test_two_crawls_storing_one_story_at_once_postgres(postgres_url: str) -> None:
    _race(postgres_url)


def test_reprint_linked_on_postgres_too(postgres_url: str) -> None:
    storage = _storage(postgres_url)
    _store(storage, _article("https://a.example/1", "a", BASE),
           _article("https://b.example/1", "b", edited(BASE.splitlines(), {"drop": 0})),
           _article("https://c.example/1", "c", PAIRS[-1].second))
    _close(storage)
    rows = _rows(postgres_url)
    assert rows["https://b.example/1"].duplicate_of == rows["https://a.example/1"].id
    assert rows["https://c.example/1"].duplicate_of is None


# -- the figures quoted in pipelines/dedup.py ------------------------------------------------


def main() -> None:
    positives = [p for p in PAIRS if p.same]
    print(f"{len(positives)} reprint pairs, {len(PAIRS) - len(positives)} different-story pairs")
    distances = {p: hamming(fingerprint(p.first).simhash, fingerprint(p.second).simhash)
                 for p in PAIRS}
    print("simhash alone (same story when Hamming distance <= T):")
    for threshold in (3, 6, 8, 10, 12, 14, 17, 20):
        precision, recall = precision_recall(PAIRS, lambda p, t=threshold: distances[p] <= t)
        print(f"  T={threshold:2d}  precision {precision:.3f}  recall {recall:.3f}")
    print("index candidates + containment (the DedupIndex rule):")
    default = SETTINGS.getfloat("DEDUP_CONTAINMENT_THRESHOLD")
    for min_containment in (0.6, 0.7, 0.8, default, 0.9, 0.95):
        precision, recall = precision_recall(
            PAIRS, lambda p, c=min_containment: same_story(p.first, p.second, min_containment=c))
        threshold = SETTINGS.getint("DEDUP_SIMHASH_THRESHOLD")
        print(f"  containment>={min_containment:.2f} (T={threshold})"
              f"  precision {precision:.3f}  recall {recall:.3f}")


if __name__ == "__main__":
    main()
