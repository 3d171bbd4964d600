"""Reprint attribution: what a user of the articles table can rely on for source/is_reprint.

The big table below is real dateline/footer shapes as the portals print them; each row says
which outlet the article must be counted under.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.config.loading import ConfigError
from crawler.items import ArticleItem
from pipelines.attribution import (
    DEFAULT_ALIASES_FILE,
    AttributionPipeline,
    aliases_for,
    attribute,
)

GONGKONG = "中国工控网"
ANY = object()  # "not checked by this row"


@pytest.fixture(scope="module")
def aliases():
    return aliases_for(DEFAULT_ALIASES_FILE)


def shape(
    case_id: str,
    *,
    byline: str | None = None,
    footer: str | None = None,
    body: str = "正文第一段。\n正文第二段。\n正文第三段。",
    meta: dict[str, str] | None = None,
    portal: str = GONGKONG,
    source: str,
    reprint: bool,
    where: Any = ANY,
    url: Any = ANY,
    author: Any = ANY,
) -> Any:
    return pytest.param(
        dict(byline=byline, footer=footer, body=body, meta=meta or {}, portal=portal),
        dict(source=source, reprint=reprint, where=where, url=url, author=author),
        id=case_id,
    )


SINOPEC_URL = "http://www.sinopecnews.com.cn/news/content/2024-03/11/content_1.htm"

SHAPES = [
    # -- datelines (byline block near the title) ---------------------------------------------
    shape(
        "dateline-time-source",
        byline="2016-11-22 16:06 来源:解放日报",
        source="解放日报",
        reprint=True,
        where="byline",
    ),
    shape(
        "time-label-then-source",
        byline="时间:2022-07-28 来源:数字化企业",
        source="数字化企业",
        reprint=True,
        where="byline",
    ),
    shape(
        "source-author-clicks",
        byline="来源：中国化工报 作者：李明 点击数：356",
        source="中国化工报",
        reprint=True,
        author="李明",
    ),
    shape(
        "dateline-source-author-clicks",
        byline="2016-11-22 16:06 来源:解放日报 作者:张三 点击:12",
        source="解放日报",
        reprint=True,
        author="张三",
    ),
    shape("square-brackets", byline="【来源：经济日报】", source="经济日报", reprint=True),
    shape("half-width-parens", byline="(来源:新华网)", source="新华社", reprint=True),
    shape(
        "no-space-before-next-label",
        byline="来源:中国能源报作者:王强",
        source="中国能源报",
        reprint=True,
        author="王强",
    ),
    shape(
        "full-width-colon-and-spaces",
        byline="来源：国家能源局　　作者：赵六",
        source="国家能源局",
        reprint=True,
        author="赵六",
    ),
    shape("spaced-half-width-colon", byline="来源 : 第一财经", source="第一财经", reprint=True),
    shape(
        "pipes-between-fields",
        byline="发布时间：2024-03-11 09:30 | 来源：OFweek维科网 | 浏览：1024",
        source="OFweek维科网",
        reprint=True,
    ),
    shape(
        "date-after-source",
        byline="来源：中国电力报 2024-03-11",
        source="中国电力新闻网",
        reprint=True,
    ),
    shape(
        "chinese-date-and-time-after-source",
        byline="来源：证券时报 2024年3月11日 10:20",
        source="证券时报",
        reprint=True,
    ),
    shape("book-title-brackets", byline="来源：《中国电子报》", source="中国电子报", reprint=True),
    shape("two-outlets-first-wins", byline="来源：新华社、人民网", source="新华社", reprint=True),
    shape(
        "editor-is-not-author",
        byline="来源：中证网 编辑：王五",
        source="中国证券报",
        reprint=True,
        author=None,
    ),
    shape("english-source-label", byline="Source: China Daily", source="中国日报", reprint=True),
    shape(
        "digits-in-outlet-name",
        byline="来源：36氪 | 作者：小明",
        source="36氪",
        reprint=True,
        author="小明",
    ),
    shape("app-variant-of-paper", byline="来源：人民日报客户端", source="人民日报", reprint=True),
    shape("vague-internet-source", byline="来源：网络整理", source="网络", reprint=True),
    # -- URLs ----------------------------------------------------------------------------
    shape(
        "url-only",
        byline=f"来源：{SINOPEC_URL}",
        source="中国石化新闻网",
        reprint=True,
        url=SINOPEC_URL,
    ),
    shape(
        "html-link",
        byline='来源：<a href="http://www.sinopecnews.com.cn/">中国石化新闻网</a>',
        source="中国石化新闻网",
        reprint=True,
        url="http://www.sinopecnews.com.cn/",
    ),
    shape(
        "name-in-text-url-in-meta",
        byline="来源：中国石化新闻",
        meta={"source": "http://www.sinopecnews.com.cn/news/1.html"},
        source="中国石化新闻网",
        reprint=True,
        where="byline",
        url="http://www.sinopecnews.com.cn/news/1.html",
    ),
    shape(
        "www-url-without-scheme",
        byline="来源：www.stcn.com/article/123.html",
        source="证券时报",
        reprint=True,
        url="http://www.stcn.com/article/123.html",
    ),
    shape(
        "unknown-host-becomes-source",
        byline="来源：http://www.unknown-news.cn/a/1.html",
        source="unknown-news.cn",
        reprint=True,
        url="http://www.unknown-news.cn/a/1.html",
    ),
    shape("bare-domain", byline="来源：sinopecnews.com.cn", source="中国石化新闻网", reprint=True),
    shape(
        "original-link-line",
        footer="来源：中国化工报\n原文链接：http://www.chemnews.com.cn/c/1.html",
        source="中国化工报",
        reprint=True,
        url="http://www.chemnews.com.cn/c/1.html",
    ),
    # -- footers ---------------------------------------------------------------------------
    shape(
        "seed-page-footer",
        footer="信息来源于:中国石化新闻网\n责任编辑：王五",
        source="中国石化新闻网",
        reprint=True,
        where="footer",
        author=None,
    ),
    shape(
        "footer-full-width-parens",
        footer="（来源：中国电力报）",
        source="中国电力新闻网",
        reprint=True,
        where="footer",
    ),
    shape("article-source-label", footer="文章来源：人民网", source="人民网", reprint=True),
    shape("gaoyuan-label", footer="稿源：科技日报", source="科技日报", reprint=True),
    shape(
        "wechat-account", footer="本文转载自微信公众号“智能制造”", source="智能制造", reprint=True
    ),
    shape(
        "wechat-account-with-disclaimer",
        footer="本文转载自微信公众号“智能制造”，如有侵权请联系删除。",
        source="智能制造",
        reprint=True,
    ),
    shape("zhuanzi-colon", footer="转自：光明网", source="光明网", reprint=True),
    shape("zhuanzi-space", footer="转自 界面新闻", source="界面新闻", reprint=True),
    shape("chuchu-label", footer="出处：经济日报", source="经济日报", reprint=True),
    shape("laiyuanyu-without-colon", footer="来源于中国能源报", source="中国能源报", reprint=True),
    shape(
        "gaoyuan-with-editor",
        footer="稿源：中国化工报 责任编辑：李四",
        source="中国化工报",
        reprint=True,
        author=None,
    ),
    shape(
        "copyright-boilerplate-is-not-a-source",
        footer="转载请注明出处",
        source=GONGKONG,
        reprint=False,
        where="portal",
    ),
    # -- traditional characters --------------------------------------------------------------
    shape("traditional-laiyuan", byline="來源：經濟日報", source="经济日报", reprint=True),
    shape(
        "traditional-outlet-name", byline="來源：中國電力報", source="中国电力新闻网", reprint=True
    ),
    shape("traditional-zhuanzai", footer="轉載自：新華網", source="新华社", reprint=True),
    shape("traditional-chuchu", footer="出處：人民網", source="人民网", reprint=True),
    shape(
        "traditional-author",
        byline="來源：解放日報 作者：陳明",
        source="解放日报",
        reprint=True,
        author="陈明",
    ),
    # -- the portal itself -------------------------------------------------------------------
    shape("site-original", byline="来源：本站原创", source=GONGKONG, reprint=False, where="byline"),
    shape("own-name-on-own-portal", byline="来源: 中国工控网", source=GONGKONG, reprint=False),
    shape("own-alias-on-own-portal", byline="来源：工控网", source=GONGKONG, reprint=False),
    shape(
        "own-domain-on-own-portal", byline="来源：www.gongkong.com", source=GONGKONG, reprint=False
    ),
    shape("bennet", byline="来源：本网", source=GONGKONG, reprint=False),
    shape(
        "empty-source-with-author",
        byline="来源： 作者：张三",
        source=GONGKONG,
        reprint=False,
        author="张三",
    ),
    shape(
        "other-portal-name-is-a-reprint",
        byline="来源：中国工控网",
        portal="中国自动化网",
        source="中国工控网",
        reprint=True,
    ),
    shape(
        "ca800-own-name",
        byline="来源：中国自动化网",
        portal="中国自动化网",
        source="中国自动化网",
        reprint=False,
    ),
    shape("nothing-at-all", source=GONGKONG, reprint=False, where="portal"),
    shape(
        "og-site-name-only-means-portal",
        meta={"og:site_name": "中国工控网-工控行业门户"},
        source=GONGKONG,
        reprint=False,
        where="site_name",
    ),
    # -- precedence --------------------------------------------------------------------------
    shape(
        "byline-beats-footer",
        byline="来源：新华网",
        footer="来源：人民网",
        source="新华社",
        reprint=True,
        where="byline",
    ),
    shape(
        "own-default-in-byline-does-not-hide-footer",
        byline="来源：本站",
        footer="信息来源于:中国石化新闻网",
        source="中国石化新闻网",
        reprint=True,
        where="footer",
    ),
    shape(
        "footer-beats-lead",
        footer="来源：科技日报",
        body="新华社北京3月5日电 正文。",
        source="科技日报",
        reprint=True,
        where="footer",
    ),
    shape(
        "lead-beats-meta",
        body="中国电力新闻网讯 日前，国家电网发布……",
        meta={"source": "经济日报"},
        source="中国电力新闻网",
        reprint=True,
        where="lead",
    ),
    shape(
        "meta-source", meta={"source": "第一财经"}, source="第一财经", reprint=True, where="meta"
    ),
    # -- lead forms --------------------------------------------------------------------------
    shape(
        "xx-wang-xun",
        body="中国电力新闻网讯 日前，国家电网发布……\n第二段。",
        source="中国电力新闻网",
        reprint=True,
        where="lead",
    ),
    shape(
        "xinhua-dateline-with-reporter",
        body="新华社北京3月5日电（记者 张三）十四届全国人大……",
        source="新华社",
        reprint=True,
        where="lead",
        author="张三",
    ),
    shape(
        "benbao-xun-gives-author-not-source",
        body="本报讯（记者 张三）日前，……",
        meta={"source": "经济日报"},
        source="经济日报",
        reprint=True,
        where="meta",
        author="张三",
    ),
    shape(
        "benbao-xun-alone-is-undeterminable",
        body="本报讯（记者 张三 通讯员 李四）日前，……",
        source=GONGKONG,
        reprint=False,
        where="portal",
        author="张三 李四",  # correspondents are credited writers too
    ),
    shape(
        "benwang-xun-is-own", body="本网讯 日前，……", source=GONGKONG, reprint=False, where="lead"
    ),
    shape("cctv-xiaoxi", body="央视网消息（新闻联播）：今天……", source="央视网", reprint=True),
    # -- lines left in the body by extraction ------------------------------------------------
    shape(
        "source-as-last-paragraph",
        body="正文第一段。\n正文第二段。\n（来源：中国电力报）",
        source="中国电力新闻网",
        reprint=True,
        where="body",
    ),
    shape(
        "dash-source-last-paragraph",
        body="正文第一段。\n——来源：澎湃新闻",
        source="澎湃新闻",
        reprint=True,
        where="body",
    ),
    shape(
        "missed-dateline-first-paragraph",
        body="2024-03-11 来源：中国电力报\n正文第一段。",
        source="中国电力新闻网",
        reprint=True,
        where="body",
    ),
    shape(
        "wen-slash-author-line",
        body="文/张三\n正文第一段。",
        source=GONGKONG,
        reprint=False,
        author="张三",
    ),
]


@pytest.mark.parametrize(("given", "expected"), SHAPES)
def test_real_world_shapes(given: dict[str, Any], expected: dict[str, Any], aliases) -> None:
    result = attribute(
        given["byline"], given["footer"], given["body"], given["meta"], given["portal"], aliases
    )
    assert (result.source, result.is_reprint) == (expected["source"], expected["reprint"])
    for key, attr in (("where", "source_from"), ("url", "source_url"), ("author", "author")):
        if expected[key] is not ANY:
            assert getattr(result, attr) == expected[key], key


def test_shape_table_is_big_enough() -> None:
    assert len(SHAPES) >= 40


# -- body -------------------------------------------------------------------------------------


def test_trailing_source_line_is_removed_from_body(aliases) -> None:
    body = "第一段。\n第二段。\n第三段。\n（来源：中国电力报）"
    assert attribute(None, None, body, {}, GONGKONG, aliases).body == "第一段。\n第二段。\n第三段。"


def test_trailing_source_and_editor_lines_are_removed(aliases) -> None:
    body = "第一段。\n第二段。\n文章来源：人民网\n责任编辑：王五"
    result = attribute(None, None, body, {}, GONGKONG, aliases)
    assert result.body == "第一段。\n第二段。"
    assert result.author is None


def test_missed_dateline_at_top_is_removed_but_lead_paragraph_stays(aliases) -> None:
    body = "来源：新华网\n新华社北京3月5日电（记者 张三）正文。\n第二段。"
    result = attribute(None, None, body, {}, GONGKONG, aliases)
    assert result.body == "新华社北京3月5日电（记者 张三）正文。\n第二段。"
    assert (result.source, result.author) == ("新华社", "张三")


def test_benbao_lead_stays_in_body(aliases) -> None:
    body = "本报讯（记者 张三）日前，……\n第二段。"
    assert attribute(None, None, body, {}, GONGKONG, aliases).body == body


def test_ordinary_opening_sentences_are_not_credit_lines(aliases) -> None:
    body = "记者从国家能源局获悉，今年……\n来源于行业协会的数据显示，……\n第三段。"
    result = attribute(None, None, body, {}, GONGKONG, aliases)
    assert result.body == body
    assert (result.source, result.is_reprint, result.author) == (GONGKONG, False, None)


def test_source_words_in_the_middle_of_the_body_are_ignored(aliases) -> None:
    body = "第一段。\n第二段。\n来源：这一行在正文中间，不是署名。\n第四段。\n第五段。\n第六段。"
    result = attribute(None, None, body, {}, GONGKONG, aliases)
    assert result.body == body
    assert result.is_reprint is False


# -- author -----------------------------------------------------------------------------------


def test_writer_in_the_byline_wins_over_the_footer(aliases) -> None:
    result = attribute("来源：中国化工报 作者：李明", "作者：王芳", "正文。", {}, GONGKONG, aliases)
    assert result.author == "李明"


def test_a_writer_who_is_also_named_as_editor_is_not_the_author(aliases) -> None:
    result = attribute(
        "来源：中国化工报 作者：王五 李明", "责任编辑：王五", "正文。", {}, GONGKONG, aliases
    )
    assert result.author == "李明"


def test_author_equal_to_the_source_is_dropped(aliases) -> None:
    result = attribute("来源：中国化工报 作者：中国化工报", None, "正文。", {}, GONGKONG, aliases)
    assert (result.source, result.author) == ("中国化工报", None)


@pytest.mark.parametrize("editor_line", ["编辑：王五", "责任编辑：王五", "编审：王五", "责编:王五"])
def test_editors_are_never_authors(editor_line: str, aliases) -> None:
    assert attribute(editor_line, editor_line, "正文。", {}, GONGKONG, aliases).author is None


def test_meta_author_naming_the_site_is_not_an_author(aliases) -> None:
    meta = {"author": "中国工控网"}
    assert attribute(None, None, "正文。", meta, GONGKONG, aliases).author is None


def test_meta_author_is_last_resort(aliases) -> None:
    meta = {"author": "赵六"}
    assert attribute(None, None, "正文。", meta, GONGKONG, aliases).author == "赵六"
    assert attribute("作者：李明", None, "正文。", meta, GONGKONG, aliases).author == "李明"


# -- the Scrapy component ---------------------------------------------------------------------


def make_item(**overrides: Any) -> ArticleItem:
    fields: dict[str, Any] = dict(
        url="http://www.gongkong.com/news/202403/1.html",
        fetched_url="http://www.gongkong.com/news/202403/1.html",
        portal="gongkong",
        portal_name=GONGKONG,
        section="行业动态",
        title="标题",
        body="正文第一段。\n正文第二段。",
    )
    fields.update(overrides)
    return ArticleItem(**fields)


def test_pipeline_sets_fields_and_counts_stats() -> None:
    crawler = get_crawler(settings_dict={"ATTRIBUTION_ENABLED": True})
    pipeline = AttributionPipeline.from_crawler(crawler)
    reprint = make_item(
        footer_text="信息来源于:中国石化新闻网\n责任编辑：王五",
        body="正文。\n（来源：中国石化新闻网）",
    )
    original = make_item(byline_text="来源：本站原创 作者：张三")

    assert pipeline.process_item(reprint) is reprint
    pipeline.process_item(original)

    assert (reprint.source, reprint.is_reprint, reprint.author, reprint.body) == (
        "中国石化新闻网",
        True,
        None,
        "正文。",
    )
    assert (original.source, original.is_reprint, original.author) == (GONGKONG, False, "张三")
    stats = crawler.stats.get_stats()
    assert stats["attribution/reprint"] == 1
    assert stats["attribution/original"] == 1
    assert stats["attribution/source_from/footer"] == 1
    assert stats["attribution/source_from/byline"] == 1


def test_pipeline_accepts_dict_items() -> None:
    pipeline = AttributionPipeline.from_crawler(get_crawler(settings_dict={}))
    item = {"portal_name": GONGKONG, "byline_text": "来源：科技日报", "body": "正文。", "meta": {}}
    pipeline.process_item(item)
    assert (item["source"], item["is_reprint"]) == ("科技日报", True)


def test_pipeline_can_be_switched_off() -> None:
    with pytest.raises(NotConfigured):
        AttributionPipeline.from_crawler(get_crawler(settings_dict={"ATTRIBUTION_ENABLED": False}))


def test_alias_table_is_loaded_once_per_process() -> None:
    first = AttributionPipeline.from_crawler(get_crawler(settings_dict={}))
    second = AttributionPipeline.from_crawler(get_crawler(settings_dict={}))
    assert first.aliases is second.aliases


def test_pipeline_reads_the_alias_file_setting(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("outlets:\n  测试日报: [测试报, test-daily.cn]\n", encoding="utf-8")
    crawler = get_crawler(settings_dict={"ATTRIBUTION_ALIASES_FILE": str(path)})
    pipeline = AttributionPipeline.from_crawler(crawler)
    item = make_item(byline_text="来源：http://news.test-daily.cn/1.html")
    pipeline.process_item(item)
    assert item.source == "测试日报"


def test_bad_alias_file_stops_the_crawl_at_startup(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("outlets: [a, b]\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        AttributionPipeline.from_crawler(
            get_crawler(settings_dict={"ATTRIBUTION_ALIASES_FILE": str(path)})
        )


# -- alias file validation --------------------------------------------------------------------
