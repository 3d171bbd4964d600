"""Portals that reprint each other: one story, one first copy, the true source, industry tags.

The simulated 工控网 reprints three 传动网 stories (verbatim, with a 本网讯 lead added, and
with the last of four paragraphs cut) and says so with ``信息来源于:模拟传动网``.
"""

from __future__ import annotations

from pipelines.dedup import fingerprint
from simulator.sites import GKONG_REPRINTS
from tests.conftest import run_crawl
from tests.test_crawl import rows


def test_reprints_are_attributed_linked_and_tagged(simulator, portals_file, sqlite_url):
    result = run_crawl(sqlite_url, portals_file)
    assert result.returncode == 0, result.log[-3000:]
    stored = {r["url"]: r for r in rows(sqlite_url, "SELECT * FROM articles")}

    truth = {}
    for site in simulator.sites:
        for article in site.articles:
            truth[simulator.base(site.key) + str(article["url_path"])] = (site, article)
    assert set(stored) == set(truth)
    for row in stored.values():  # the fingerprints are those of the stored body
        fp = fingerprint(row["body"])
        assert (row["content_hash"], row["simhash"]) == (fp.content_hash, fp.simhash)

    for url, (site, article) in truth.items():
        row = stored[url]
        expected_source = article["source"] or site.name
        assert row["source"] is not None
        # Outlets are stored under their canonical alias (中国电力报 -> 中国电力新闻网, ...).
        if article["source"] is None:
            assert row["source"] == site.name and not row["is_reprint"], url
        else:
            assert row["is_reprint"], url
            assert row["source"] != site.name, url
        if expected_source == "模拟传动网":
            assert row["source"] == "模拟传动网"
        assert (row["author"] or None) == article["author"], url

    # Each reprinted story: exactly one first copy, the other copy points at it.
    drive = simulator.base("drive")
    gkong = simulator.base("gkong")
    for gkong_id, (story, _, _) in GKONG_REPRINTS.items():
        pair = [stored[f"{gkong}/news/2024/0311/{gkong_id}.html"],
                stored[f"{drive}/News/detail.aspx?id={story}"]]
        firsts = [r for r in pair if r["duplicate_of"] is None]
        assert len(firsts) == 1, (gkong_id, [r["duplicate_of"] for r in pair])
        (copy,) = [r for r in pair if r["duplicate_of"] is not None]
        assert copy["duplicate_of"] == firsts[0]["id"]
        assert pair[0]["is_reprint"] and pair[0]["source"] == "模拟传动网"
    others = [r for r in stored.values() if r["duplicate_of"] is not None]
    assert len(others) == len(GKONG_REPRINTS), "unrelated articles linked as duplicates"

    # Every article carries the industry its story is about.
    tags = rows(sqlite_url, """
        SELECT a.url, t.name FROM articles a JOIN article_tags at ON at.article_id = a.id
        JOIN tags t ON t.id = at.tag_id WHERE t.kind = 'industry'""")
    by_url: dict[str, set[str]] = {}
    for tag in tags:
        by_url.setdefault(tag["url"], set()).add(tag["name"])
    for url, (_, article) in truth.items():
        assert article["industry"] in by_url.get(url, set()), (url, by_url.get(url))
    sections = {r["section"] for r in stored.values()}
    tag_names = {t["name"] for t in rows(sqlite_url, "SELECT name FROM tags")}
    assert not sections & tag_names, "a section name was stored as a tag"


def test_views_give_one_row_per_story(simulator, portals_file, sqlite_url):
    assert run_crawl(sqlite_url, portals_file).returncode == 0
    articles = rows(sqlite_url, "SELECT count(*) AS n FROM articles")[0]["n"]
    stories = rows(sqlite_url, "SELECT * FROM story_view")
    assert len(stories) == articles - len(GKONG_REPRINTS)
    assert sorted(s["copies"] for s in stories if s["copies"] > 1) == [2] * len(GKONG_REPRINTS)
    assert all(s["portals"] == 2 for s in stories if s["copies"] > 1)
    view = rows(sqlite_url, "SELECT * FROM article_view WHERE is_duplicate = 1")
    assert len(view) == len(GKONG_REPRINTS) and all(v["industries"] for v in view)
    stats = rows(sqlite_url, "SELECT * FROM reprint_stats WHERE portal = 'gkong' "
                             "AND source = '模拟传动网'")
    assert stats[0]["articles"] == len(GKONG_REPRINTS) and stats[0]["is_reprint"]
