"""Normalisation: every later pipeline and every SQL query sees clean text and UTC times."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from pipelines.normalize import NormalizePipeline, NotAnArticle, clean_block, clean_line

SHANGHAI = timezone(timedelta(hours=8))


def _pipeline() -> NormalizePipeline:
    return NormalizePipeline(MemoryStatsCollector(get_crawler()))


def _item(**fields: object) -> ArticleItem:
    base: dict[str, object] = {
        "url": "http://www.gongkong.com/news/202403/1.html",
        "fetched_url": "http://www.gongkong.com/news/202403/1.html",
        "portal": "gongkong",
        "portal_name": "中国工控网",
        "section": "行业动态",
        "title": "标题",
        "body": "正文。",
    }
    base.update(fields)
    return ArticleItem(**base)  # type: ignore[arg-type]


def test_invisible_characters_and_space_runs_leave_title_and_body() -> None:
    item = _pipeline().process_item(_item(
        title="\ufeff镇海炼化\u200b　乙烯项目  投产 ",
        body="\u3000\u3000第一段，\u00a0内容。\r\n\r\n   \n\t第二段\u200d。\x0b",
    ))
    assert item.title == "镇海炼化 乙烯项目 投产"
    assert item.body == "第一段， 内容。\n第二段。"


def test_a_page_whose_title_or_body_is_only_invisible_is_not_an_article() -> None:
    pipeline = _pipeline()
    with pytest.raises(NotAnArticle):
        pipeline.process_item(_item(body="\u200b\u3000\n \ufeff"))
    with pytest.raises(NotAnArticle):
        pipeline.process_item(_item(title="\u00a0"))
    assert pipeline.stats.get_value("normalize/not_article") == 2


def test_tracking_parameters_leave_the_key_url() -> None:
    item = _pipeline().process_item(_item(
        url="http://www.gongkong.com/news/202403/1.html?from=timeline&utm_source=wx"))
    assert item.url == "http://www.gongkong.com/news/202403/1.html"


def test_times_are_stored_in_utc_and_a_naive_time_is_refused() -> None:
    item = _pipeline().process_item(_item(published_at=datetime(2024, 3, 11, 14, 20,
                                                                 tzinfo=SHANGHAI)))
    assert item.published_at == datetime(2024, 3, 11, 6, 20, tzinfo=UTC)
    assert item.published_at.tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        _pipeline().process_item(_item(published_at=datetime(2024, 3, 11, 14, 20)))


def test_empty_byline_and_author_become_none() -> None:
    item = _pipeline().process_item(_item(author="\u3000", byline_text=" \n\u200b",
                                          footer_text="来源：中国电力报\n\n责任编辑：王敏 "))
    assert item.author is None
    assert item.byline_text is None
    assert item.footer_text == "来源：中国电力报\n责任编辑：王敏"


def test_a_block_is_cleaned_exactly_as_line_by_line() -> None:
    """``clean_block`` works on the whole block at once; it must give what cleaning each line
    with ``clean_line`` and dropping the empty ones gives (composing characters, CR/LF,
    invisible and full-width characters included)."""
    rng = random.Random(11)
    alphabet = ("a中文，。 \t\u00a0\u3000\u2002\u2003\u2009\r\n\u200b\ufeff\u00ad\x00\x0b\x1f"
                "\x7f\u0301e\u00e9\u1100\u1161\u2028\x85")
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        lines = (clean_line(line) for line in text.replace("\r", "\n").split("\n"))
        assert clean_block(text) == "\n".join(line for line in lines if line), repr(text)
