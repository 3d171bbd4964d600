"""``portal search`` on PostgreSQL: migration 0006's pg_trgm index exists, is the one the search
query can use, covers rows stored before and after the migration, and the command ranks title
matches first and shows each story once.

Needs PostgreSQL on 127.0.0.1:5432 (trust auth): the ``postgres_url`` fixture creates its own
database and drops it afterwards, and skips with the reason when no server answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from crawler.storage.engine import make_engine, upgrade_database
from tests.test_cli_portal import portal

INSERT = text(
    "INSERT INTO articles (url, portal, title, body, is_reprint, duplicate_of, published_at, "
    "first_seen_at, last_seen_at) VALUES (:url, :portal, :title, :body, false, :dup, "
    ":published, now(), now()) RETURNING id")


def _article(conn: object, url: str, title: str, body: str, dup: int | None = None,
             published: str = "2026-12-01 08:00:00+00", portal_key: str = "gkong") -> int:
    return conn.execute(INSERT, {  # type: ignore[attr-defined]
        "url": url, "portal": portal_key, "title": title, "body": body, "dup": dup,
        "published": published}).scalar_one()


def _ids(stdout: str) -> list[int]:
    """The article ids ``portal search`` lists, in its order (one hit per line)."""
    return [int(line.split()[0]) for line in stdout.splitlines() if line[:6].strip().isdigit()]


@pytest.fixture
def pg(postgres_url: str) -> Iterator[tuple[str, Engine]]:
    engine = make_engine(postgres_url)
    try:
        yield postgres_url, engine
    finally:
        engine.dispose()


def test_trigram_index_is_created_and_used_and_search_ranks_each_story_once(
        pg: tuple[str, Engine]) -> None:
    url, engine = pg
    upgrade_database(engine, "0005")  # a database from before the search index
    with engine.begin() as conn:
        old = _article(conn, "http://a/old", "变频器节能改造", "某钢厂完成高压变频器节能改造项目。")
    upgrade_database(engine)
    with engine.connect() as conn:
        extension = conn.execute(text(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar_one()
        indexdef = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_articles_text_trgm'")
        ).scalar_one_or_none()
    assert extension == 1
    assert indexdef is not None and "gin_trgm_ops" in indexdef and "gin" in indexdef.lower()

    with engine.begin() as conn:
        body_hit = _article(conn, "http://a/body", "钢厂新闻", "新一代伺服系统在产线上投入使用。",
                            published="2026-12-03 08:00:00+00")
        title_hit = _article(conn, "http://a/title", "伺服系统国产化提速",
                             "国产伺服系统市场份额继续上升。", published="2026-12-02 08:00:00+00")
        copy = _article(conn, "http://b/copy", "伺服系统国产化提速",
                        "国产伺服系统市场份额继续上升。", dup=title_hit, portal_key="ca800")
        _article(conn, "http://a/other", "机器人订单", "工业机器人订单增长。")
        # The planner may use the index (a sequential scan is only the cheaper choice on a
        # tiny table): with scans off, the search's WHERE clause goes through it.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT id FROM articles WHERE (title || ' ' || body) ILIKE :like"),
            {"like": "%伺服系统%"}).scalars())
    assert "ix_articles_text_trgm" in plan, plan

    found = portal("search", "伺服系统", url=url)
    assert found.returncode == 0, found.stderr
    ids = _ids(found.stdout)
    assert ids == [title_hit, body_hit], found.stdout  # title match first; the copy folded in
    assert copy not in ids and "[2 copies]" in found.stdout
    assert _ids(portal("search", "节能改造", url=url).stdout) == [old]  # a row from before 0006
    assert _ids(portal("search", "伺服系统", "--portal", "ca800", url=url).stdout) == [title_hit]
    assert portal("search", "伺服系统", "--since", "2099-01-01", url=url).stdout == ""
    assert portal("search", "没有这个词", url=url).stdout == ""
