"""A portal layout no rule or fixture was tuned on: every article must still come out right.

``simulator.sites.build_newsroom`` (a 2020s CMS: ``<article>``, meta spans, an image caption,
a 责任编辑 line, a 相关阅读 list, ``list-2.shtml`` pagination) was written after the extractor
and link rules and is crawled zero-config, with ``-a url=`` only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from simulator.server import PortalSimulator
from simulator.sites import build_newsroom
from tests.conftest import run_crawl
from tests.test_crawl import rows

CAPTION = "图为项目现场"


def test_zero_config_crawl_of_an_unseen_layout(tmp_path, sqlite_url):
    site = build_newsroom()
    with PortalSimulator([site]) as sim:
        section = sim.base("newsroom") + site.list_path
        result = run_crawl(sqlite_url, tmp_path / "none.yaml", f"url={section}", "section=企业新闻")
        assert result.returncode == 0, result.log[-3000:]
        stored = {r["url"]: r for r in rows(sqlite_url, "SELECT * FROM articles")}
        truth = {sim.base("newsroom") + str(a["url_path"]): a for a in site.articles}
    assert set(stored) == set(truth), "missed or extra articles"
    for url, article in truth.items():
        row = stored[url]
        assert row["title"] == article["title"]
        published = datetime.fromisoformat(str(row["published_at"])).replace(tzinfo=UTC)
        expected = article["published"].replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        assert published == expected.astimezone(UTC)
        assert row["author"] == article["author"]
        # The photo caption belongs to the article; accept it, but nothing else extra.
        paragraphs = [p for p in row["body"].split("\n") if p != CAPTION]
        assert paragraphs == article["paragraphs"], url
        for junk in ("责任编辑", "相关阅读", "ICP", "编辑推荐", "首页"):
            assert junk not in row["body"]
        if article["source"]:
            assert row["is_reprint"] and row["source"], url
        else:
            assert row["source"] == row["portal"] and not row["is_reprint"], url
