"""The dedup index: which stored article is the first copy of a story.

Owns the ``dedup_keys`` table (migration 0002). Storage calls ``first_copy`` and ``add`` inside
its write transaction, which holds the cross-process write lock, so the decision is atomic
with the insert; nothing else reads or writes ``dedup_keys``.
"""

from __future__ import annotations

import functools
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    Table,
)

from crawler.items import ArticleItem
from crawler.storage.engine import (
    DriverStatement,
    in_list_statement,
    list_params,
    value_params,
    values_statement,
)
from crawler.storage.tables import articles
from pipelines.dedup.fingerprint import (
    _U64,
    Analysis,
    _normalize,
    analyse,
    contains_at_least,
    shingle_set,
)

# Articles whose shingle hashes stay in memory, as arrays of 8 bytes a shingle (8-25 KB an
# article, so ~4-12 MB in all): a crawl's candidates are mostly articles it stored minutes
# ago, and reading and shingling a body again costs ~0.3 ms, comparing with a cached one
# ~0.02 ms.
SHINGLE_CACHE = 512

_metadata = MetaData()
dedup_keys = Table(
    "dedup_keys",
    _metadata,
    Column("band", SmallInteger, primary_key=True),
    Column("key", BigInteger, primary_key=True),
    Column("article_id", Integer, ForeignKey(articles.c.id, ondelete="CASCADE"),
           primary_key=True),
)

_NOTHING: array[int] = array("Q")


@dataclass
class _Candidate:
    article_id: int
    portal: str
    root: int
    distance: int
    hits: int


class DedupIndex:
    """Finds the first stored copy of a story; called by storage under its write lock.

    Reads an item's fingerprint from ``item.fingerprint`` (the dedup pipeline's
    ``Analysis``); an item that comes without one (dedup pipeline off, a script) is analysed
    here, with this index's settings.
    """

    def __init__(self, settings: Any, stats: Any = None) -> None:
        self.threshold = settings.getint("DEDUP_SIMHASH_THRESHOLD")
        self.containment = settings.getfloat("DEDUP_CONTAINMENT_THRESHOLD")
        self.min_chars = settings.getint("DEDUP_MIN_CHARS")
        self.verify_limit = settings.getint("DEDUP_VERIFY_LIMIT")
        self.key_limit = settings.getint("DEDUP_KEY_LIMIT")
        self.stats = stats
        self._exact_urls: set[str] = set()  # stored as exact copies: nothing new to index
        # Distinct shingles of recently stored or compared articles: a crawl's candidates are
        # mostly articles it stored minutes ago, so verifying them needs no database read.
        self._shingles: OrderedDict[int, array[int]] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupIndex:
        return cls(crawler.settings, crawler.stats)

    def _count(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    def analysis(self, item: ArticleItem) -> Analysis:
        """The item's fingerprint, made here (and put on the item) if it has none yet."""
        analysis = item.fingerprint
        if not isinstance(analysis, Analysis) or analysis.min_chars != self.min_chars:
            analysis = analyse(item.body or "", self.min_chars)
            item.fingerprint = analysis
            item.content_hash, item.simhash = analysis.content_hash, analysis.simhash
        return analysis

    def first_copy(self, conn: Connection, item: ArticleItem) -> tuple[int, str, bool] | None:
        """(first copy's id, portal to compare with, exact?) or None for a new story.

        The portal is the item's own when this portal already stored the identical text (so
        storage drops it); otherwise the portal of the matched article. The identical-text
        and near-duplicate lookups go to the database in one statement: each round trip is
        a wait of the storage thread (on PostgreSQL ~5 per new article were what set a
        crawl's pace with politeness off).
        """
        analysis = self.analysis(item)
        exact_rows, candidate_rows = self._lookup(conn, analysis)
        exact = self._exact(exact_rows, item.portal)
        if exact is not None:
            self._count("dedup/exact")
            if exact[1] != item.portal:  # stored by storage (not dropped): see add()
                self._exact_urls.add(item.url)
            return exact
        near = self._near(conn, analysis, candidate_rows)
        self._count("dedup/near" if near is not None else "dedup/unique")
        return near

    def add(self, conn: Connection, article_id: int, item: ArticleItem) -> None:
        """Write the band and anchor keys of a newly stored article (same transaction)."""
        if item.url in self._exact_urls:
            self._exact_urls.discard(item.url)
            return  # an exact copy: the first copy's keys already lead here via content_hash
        analysis = self.analysis(item)
        if not analysis.keys:  # too short to index: forget whatever an earlier row held
            self._shingles.pop(article_id, None)
            return
        self._remember(article_id, analysis.shingles)
        # An article's ~12 keys in one statement: as a batch of twelve they cost ~1.6 ms per
        # stored article on PostgreSQL, as much as the article's own insert.
        values_statement('INSERT INTO dedup_keys (band, "key", article_id)', 3,
                         len(analysis.keys)).execute(
            conn, value_params((band, key, article_id) for band, key in analysis.keys))

    def refresh(self, conn: Connection, article_id: int, item: ArticleItem) -> None:
        """Re-index a stored article whose body a re-crawl changed (storage's update path)."""
        self._shingles.pop(article_id, None)
        conn.execute(dedup_keys.delete().where(dedup_keys.c.article_id == article_id))
        self._exact_urls.discard(item.url)
        self.add(conn, article_id, item)

    def rolled_back(self) -> None:
        """Storage's transaction failed: ids remembered since may now belong to nothing."""
        self._shingles.clear()
        self._exact_urls.clear()

    def _lookup(self, conn: Connection, analysis: Analysis) -> tuple[list[Any], list[Any]]:
        """Rows of the identical texts (id order) and of the articles sharing a key."""
        params: dict[str, Any] = {"content_hash": analysis.content_hash}
        if analysis.keys:
            params["limit"] = self.key_limit
            for i, (band, key) in enumerate(analysis.keys):
                params[f"b{i}"], params[f"k{i}"] = band, key
        exact, candidates = [], []
        for kind, *row in _lookup_sql(len(analysis.keys)).rows(conn, params):
            (exact if kind == 0 else candidates).append(row)
        exact.sort(key=lambda row: row[0])
        return exact, candidates

    @staticmethod
    def _exact(rows: list[Any], portal: str) -> tuple[int, str, bool] | None:
        if not rows:
            return None
        first_id, first_portal, first_duplicate_of, *_ = rows[0]
        same_portal = any(row[1] == portal for row in rows)
        return (first_duplicate_of or first_id, portal if same_portal else first_portal, True)

    def _near(self, conn: Connection, analysis: Analysis,
              rows: list[Any]) -> tuple[int, str, bool] | None:
        if not analysis.keys:
            return None
        candidates = self._candidates(rows, analysis.simhash)
        if not candidates:
            return None  # most new articles
        mine = frozenset(analysis.shingles)
        self._count("dedup/candidates", len(candidates))
        missing = [c.article_id for c in candidates if c.article_id not in self._shingles]
        if missing:
            self._count("dedup/bodies_read", len(missing))
            bodies = in_list_statement("SELECT id, body FROM articles WHERE id IN", len(missing))
            for article_id, body in bodies.rows(conn, list_params(missing)):
                self._remember(article_id, array("Q", shingle_set(_normalize(body or ""))))
        for cand in candidates:  # nearest first: the first that passes is the answer
            theirs = self._shingles.get(cand.article_id, _NOTHING)
            if contains_at_least(mine, theirs, self.containment):
                return (cand.root, cand.portal, False)
        return None

    def _remember(self, article_id: int, shingles: array[int]) -> None:
        self._shingles[article_id] = shingles
        self._shingles.move_to_end(article_id)
        while len(self._shingles) > SHINGLE_CACHE:
            self._shingles.popitem(last=False)

    def _candidates(self, rows: list[Any], simhash: int) -> list[_Candidate]:
        """Articles sharing a key, nearest first, at most ``verify_limit`` of them."""
        found = []
        for article_id, portal, duplicate_of, other, hits in rows:
            distance = ((simhash ^ (other or 0)) & _U64).bit_count()
            if distance <= self.threshold:
                found.append(_Candidate(article_id, portal, duplicate_of or article_id,
                                        distance, hits))
        found.sort(key=lambda c: (c.distance, -c.hits, c.article_id))
        return found[:self.verify_limit]


@functools.cache
def _lookup_sql(count: int) -> DriverStatement:
    """One statement for an article's lookups: the identical texts (kind 0, the 64 oldest)
    and, for ``count`` keys, the articles sharing one (kind 1), a LIMIT-ed index seek per key
    with hits counted per article.

    The newest holders of a key are read: a reprint follows its original by hours or days, and
    the oldest holders of a popular key (boilerplate, a crowded simhash band) are not what a
    new article copies. The first copy is still reached through ``duplicate_of``.

    Plain SQL, cached per key count: building the equivalent SQLAlchemy expression for each
    lookup cost more than running it, and SQLAlchemy's row objects for the ~30 rows more still.
    """
    exact = ("SELECT 0 AS kind, e.id, e.portal, e.duplicate_of, NULL AS simhash, NULL AS hits "
             "FROM (SELECT id, portal, duplicate_of FROM articles "
             "WHERE content_hash = :content_hash ORDER BY id LIMIT 64) AS e")
    if not count:
        return DriverStatement(exact)
    seeks = " UNION ALL ".join(
        f'SELECT article_id FROM (SELECT article_id FROM dedup_keys WHERE band = :b{i} '
        f'AND "key" = :k{i} ORDER BY article_id DESC LIMIT :limit) AS s{i}'
        for i in range(count)
    )
    return DriverStatement(
        f"{exact} UNION ALL "
        "SELECT 1, a.id, a.portal, a.duplicate_of, a.simhash, h.hits FROM articles AS a JOIN "
        f"(SELECT article_id, count(*) AS hits FROM ({seeks}) AS u GROUP BY article_id) AS h "
        "ON h.article_id = a.id"
    )
