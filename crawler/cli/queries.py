"""The SQL behind ``portal runs``, ``portal search`` and ``portal export``, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, TextClause, bindparam, text

from crawler.storage.tables import UTCDateTime

EXPORT_COLUMNS = ("id", "url", "portal", "section", "title", "published_at", "author", "source",
                  "source_url", "is_reprint", "duplicate_of", "first_seen_at", "body")


@dataclass(frozen=True)
class Hit:
    id: int
    portal: str
    title: str
    published_at: Any
    url: str
    copies: int
    snippet: str


def recent_runs(engine: Engine, portal: str | None, last: int) -> list[dict[str, Any]]:
    where, params = "", {"last": last}
    if portal:
        where = ("WHERE portal = :p OR portal LIKE :p1 OR portal LIKE :p2 OR portal LIKE :p3")
        params.update(p=portal, p1=f"{portal},%", p2=f"%,{portal}", p3=f"%,{portal},%")
    sql = (f"SELECT id, portal, trigger, started_at, finished_at, status, pages, items_new, "
           f"items_duplicate, errors, message FROM crawl_runs {where} "
           f"ORDER BY started_at DESC, id DESC LIMIT :last")
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def _sql(sql: str, params: dict[str, Any]) -> TextClause:
    """``:since`` bound as the column's own type: SQLite compares the stored text form."""
    clause = text(sql)
    return clause.bindparams(bindparam("since", type_=UTCDateTime())) if "since" in params \
        else clause


def _filters(portal: str | None, since: datetime | None, tag: str | None,
             alias: str = "a") -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    if portal:
        clauses.append(f"{alias}.portal = :portal")
        params["portal"] = portal
    if since:
        clauses.append(f"COALESCE({alias}.published_at, {alias}.first_seen_at) >= :since")
        params["since"] = since
    if tag:
        clauses.append(f"EXISTS (SELECT 1 FROM article_tags at JOIN tags t ON t.id = at.tag_id "
                       f"WHERE at.article_id = {alias}.id AND t.name = :tag)")
        params["tag"] = tag
    return "".join(f" AND {c}" for c in clauses), params


def search(engine: Engine, query: str, portal: str | None = None,
           since: datetime | None = None, tag: str | None = None, limit: int = 20) -> list[Hit]:
    """Stories matching ``query``, best first, each once (copies collapsed onto the original).

    SQLite ranks with FTS5's bm25 over trigrams; a query shorter than a trigram falls back to
    a substring scan. PostgreSQL ranks by pg_trgm similarity over the indexed text.
    """
    where, params = _filters(portal, since, tag)
    params.update(q=query, like=f"%{query}%", limit=limit)
    # The story is the original article; a match on a copy counts for its original.
    story = "COALESCE(a.duplicate_of, a.id)"
    fts = ""
    if engine.dialect.name == "sqlite" and len(query) >= 3:
        # bm25() only works in the FTS query itself: materialised before the joins.
        fts = ("f AS MATERIALIZED (SELECT rowid AS rid, bm25(articles_fts, 3.0, 1.0) AS score "
               "FROM articles_fts WHERE articles_fts MATCH :match), ")
        matched = ("SELECT a.id, " + story + " AS story, f.score FROM f "
                   "JOIN articles a ON a.id = f.rid WHERE 1 = 1" + where)
        params["match"] = '"' + query.replace('"', '""') + '"'
    elif engine.dialect.name == "postgresql":
        matched = ("SELECT a.id, " + story + " AS story, "
                   "-(CASE WHEN a.title ILIKE :like THEN 1 ELSE 0 END "
                   "+ word_similarity(:q, a.title || ' ' || a.body)) AS score "
                   "FROM articles a WHERE (a.title || ' ' || a.body) ILIKE :like" + where)
    else:
        matched = ("SELECT a.id, " + story + " AS story, "
                   "CASE WHEN a.title LIKE :like THEN -2 ELSE -1 END AS score "
                   "FROM articles a WHERE (a.title LIKE :like OR a.body LIKE :like)" + where)
    sql = (f"WITH {fts}m AS ({matched}), best AS (SELECT story, MIN(score) AS score FROM m "
           f"GROUP BY story) "
           f"SELECT o.id, o.portal, o.title, o.published_at, o.url, o.body, best.score, "
           f"(SELECT COUNT(*) FROM articles c WHERE c.id = o.id OR c.duplicate_of = o.id) "
           f"AS copies FROM best JOIN articles o ON o.id = best.story "
           f"ORDER BY best.score, o.published_at DESC, o.id LIMIT :limit")
    with engine.connect() as conn:
        rows = conn.execute(_sql(sql, params), params).all()
    return [Hit(r.id, r.portal, r.title, r.published_at, r.url, r.copies,
                _snippet(r.body or "", query)) for r in rows]


def _snippet(body: str, query: str, width: int = 40) -> str:
    at = body.find(query)
    start = max(0, at - width // 2) if at >= 0 else 0
    return " ".join(body[start:start + width].split())


def export_rows(engine: Engine, portal: str | None, since: datetime | None,
                ) -> Iterator[dict[str, Any]]:
    where, params = _filters(portal, since, None)
    sql = (f"SELECT {', '.join('a.' + c for c in EXPORT_COLUMNS)} FROM articles a "
           f"WHERE 1 = 1{where} ORDER BY a.id")
    with engine.connect() as conn:
        for row in conn.execute(_sql(sql, params), params):
            yield dict(row._mapping)
