"""What a user of the articles table sees for source, is_reprint and author, page by page.

Each page goes the whole way the crawl takes it: ``extract_article`` (evidence only) ->
``ArticleItem`` as the spider builds it -> ``AttributionPipeline`` (the one decider).  The big
table lives in ``tests/fixtures/attribution/credit_lines.yaml``: real-world credit-line shapes
in simplified and traditional characters, each put under the headline, after the body or on
the first body line.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from scrapy.utils.test import get_crawler

from crawler.extraction import Extracted, extract_article
from crawler.items import ArticleItem
from pipelines.attribution import AttributionPipeline, attribute
from tests.test_extraction_article import NOW, PARAGRAPHS, URL, article_page

GONGKONG = "中国工控网"
TABLE = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "attribution" / "credit_lines.yaml").read_text("utf-8")
)


def page_with(where: str, line: str) -> str:
    if where == "byline":
        return article_page(byline=line)
    if where == "footer":
        return article_page(byline="2024-03-11 14:20", after_body=f"<p>{line}</p>")
    assert where == "top", where
    html = article_page(byline="2024-03-11 14:20")
    return html.replace(f"<p>{PARAGRAPHS[0]}", f"<p>{line}</p><p>{PARAGRAPHS[0]}", 1)


def crawl_item(html: str, portal_name: str = GONGKONG) -> ArticleItem:
    """The item as the spider builds it from extraction, after the attribution pipeline."""
    extracted = extract_article(html, URL, now=NOW)
    assert extracted.title and extracted.body
    item = ArticleItem(
        url=URL,
        fetched_url=URL,
        portal="gongkong",
        portal_name=portal_name,
        section=None,
        title=extracted.title,
        body=extracted.body,
        published_at=extracted.published_at,
        published_text=extracted.published_text,
        byline_text=extracted.byline_text,
        footer_text=extracted.footer_text,
        meta=dict(extracted.meta),
    )
    pipeline = AttributionPipeline.from_crawler(get_crawler(settings_dict={}))
    return pipeline.process_item(item)


def rows(part: str) -> list[Any]:
    return [pytest.param(row, id=f"{row['where']}:{row['line']}") for row in TABLE[part]]


def outcome(row: dict[str, Any]) -> tuple[str | None, bool, str | None]:
    item = crawl_item(page_with(row["where"], row["line"]))
    return item.source, item.is_reprint, item.author


@pytest.mark.parametrize("row", rows("tuned"))
def test_credit_line_shapes(row: dict[str, Any]) -> None:
    assert outcome(row) == (row["source"], row["reprint"], row["author"])


@pytest.mark.parametrize("row", rows("held_back"))
def test_held_back_credit_line_shapes(row: dict[str, Any]) -> None:
    assert outcome(row) == (row["source"], row["reprint"], row["author"])


def test_credit_lines_never_stay_in_the_body() -> None:
    item = crawl_item(page_with("top", "（本报记者 张三 李四）"))
    assert "记者" not in item.body
    assert item.body.startswith(PARAGRAPHS[0])


def test_extraction_reports_evidence_and_the_pipeline_alone_decides() -> None:
    """Issue 18: no second engine -- extraction carries no source or author decision."""
    names = {f.name for f in dataclasses.fields(Extracted)}
    assert not names & {"author", "source", "source_hint", "source_url", "is_reprint"}
    assert {"byline_text", "footer_text", "body", "meta"} <= names


# -- shapes that used to be read by extraction, now decided by the pipeline ------------------


def stored(html: str) -> Any:
    """What the bench measures: extraction + attribution with no portal and no alias table."""
    result = extract_article(html, URL, now=NOW)
    return attribute(result.byline_text, result.footer_text, result.body, result.meta, None)


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("2024-03-11 14:20 作者：张三", "张三"),
        ("2024-03-11 14:20 作者：张三 李四 编辑：王五", "张三 李四"),
        ("2024-03-11 14:20 来源：解放日报 记者 陈晨", "陈晨"),
        ("2024-03-11 14:20 本报记者 张三 通讯员 李四", "张三 李四"),
        ("2024-03-11 14:20 文/ 刘明", "刘明"),
        ("2024-03-11 14:20 撰文：赵丽", "赵丽"),
        ("2024-03-11 14:20 来源：解放日报 责任编辑：王五", None),
        ("2024-03-11 14:20 来源：解放日报", None),
    ],
)
def test_author_is_the_writer_never_the_editor(byline: str, author: str | None) -> None:
    assert stored(article_page(byline=byline)).author == author


def test_author_meta_naming_the_outlet_is_ignored() -> None:
    head = '<meta name="author" content="中国自动化网">'
    assert stored(article_page(head=head)).author is None


@pytest.mark.parametrize(
    ("byline", "after_body", "source"),
    [
        ("2024-03-11 14:20 来源：中国自动化网", "", "中国自动化网"),
        ("2024-03-11 14:20 来源：《电气传动》杂志 作者：王建国", "", "电气传动"),
        ("2024-03-11 14:20 来源：转载文章", "<p>来源：新闻晨报</p>", "新闻晨报"),
        ("2024-03-11 14:20", "<p>（来源：中国电力报）</p>", "中国电力报"),
        ("2024-03-11 14:20", "<p>信息来源于:中国石化新闻网</p>", "中国石化新闻网"),
        ("2005年03月21日 11:21 《理财周刊》", "", "理财周刊"),
        ("2024-03-11 14:20 来源：http://www.example.com", "", "example.com"),
        ("2024-03-11 14:20", "", None),
    ],
)
def test_source(byline: str, after_body: str, source: str | None) -> None:
    assert stored(article_page(byline=byline, after_body=after_body)).source == source


def test_meta_source_is_a_fallback() -> None:
    head = '<meta name="source" content="来源：新华日报">'
    assert stored(article_page(byline="2024-03-11 14:20", head=head)).source == "新华日报"


def test_attribution_just_after_the_article_block() -> None:
    html = article_page().replace(
        '<div class="share">',
        '<div class="edit">编辑： 吕峥 来源： 千龙网</div><div class="share">',
    )
    result = stored(html.replace("来源：中国自动化网", ""))
    assert (result.source, result.author) == ("千龙网", None)


def test_wire_style_lead_names_the_source() -> None:
    html = article_page(byline="2005-07-05 21:23").replace(
        PARAGRAPHS[0], "【看中国2005年07月03日报道】" + PARAGRAPHS[0]
    )
    assert stored(html).source == "看中国"


def test_writers_credited_in_brackets_at_the_end() -> None:
    html = article_page().replace(PARAGRAPHS[-1], PARAGRAPHS[-1] + "（常书香 马丹阳）")
    assert stored(html).author == "常书香 马丹阳"


@pytest.mark.parametrize("tail", ["（待续）", "（新华社）", "（完）"])
def test_bracketed_trailer_that_is_not_a_name(tail: str) -> None:
    html = article_page().replace(PARAGRAPHS[-1], PARAGRAPHS[-1] + tail)
    assert stored(html).author is None


def test_essay_author_printed_alone_under_the_headline() -> None:
    html = article_page(byline="").replace("<p>" + PARAGRAPHS[0], "<p>胡平</p><p>" + PARAGRAPHS[0])
    assert stored(html).author == "胡平"
