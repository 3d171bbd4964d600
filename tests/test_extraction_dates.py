"""parse_dateline: the publish time as aware UTC, read as Beijing time unless a zone is given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extraction import parse_dateline
from crawler.extraction.dates import find_dates

# Crawl time used for relative datelines: 2024-06-01 12:00 in Shanghai.
NOW = datetime(2024, 6, 1, 4, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2008/4/17 8:50:49", utc(2008, 4, 17, 0, 50, 49)),
        ("2024-03-11 14:20", utc(2024, 3, 11, 6, 20)),
        ("2024年03月08日 10:30", utc(2024, 3, 8, 2, 30)),
        ("2024年3月8日", utc(2024, 3, 7, 16, 0)),
        ("发布时间：2024-03-11 14:20", utc(2024, 3, 11, 6, 20)),
        ("时间：2024-03-11 14:20:05", utc(2024, 3, 11, 6, 20, 5)),
        ("日期：2005-08-16", utc(2005, 8, 15, 16, 0)),
        ("更新时间 2022.01.20 16:31", utc(2022, 1, 20, 8, 31)),
        ("7/5/2005 9:23:57 PM", utc(2005, 7, 5, 13, 23, 57)),
        ("9/17/2004 5:54:13 AM", utc(2004, 9, 16, 21, 54, 13)),
        ("发表时间： 06/02/2022 - 13:48", utc(2022, 2, 6, 5, 48)),
        ("2005-5-7 21:23:57", utc(2005, 5, 7, 13, 23, 57)),
        ("２０２４－０３－１１　１４：２０", utc(2024, 3, 11, 6, 20)),
        ("2024年3月8日 下午3:20", utc(2024, 3, 8, 7, 20)),
        ("2022年02月13日07:48 | 来源：新华日报", utc(2022, 2, 12, 23, 48)),
        ("2022-02-13 07:00:00来源：央广网", utc(2022, 2, 12, 23, 0)),
        ("2024-03-11T14:20:00+08:00", utc(2024, 3, 11, 6, 20)),
        ("2024-03-11T06:20:00Z", utc(2024, 3, 11, 6, 20)),
        ("2024-03-11 06:20 GMT", utc(2024, 3, 11, 6, 20)),
        ("Saturday, September 10th, 2005 10:56 am", utc(2005, 9, 10, 2, 56)),
        ("1998年3月", utc(1998, 2, 28, 16, 0)),
        ("2024年3月8日 10时30分", utc(2024, 3, 8, 2, 30)),
        ("昨天 10:20", utc(2024, 5, 31, 2, 20)),
        ("前天 08:00", utc(2024, 5, 30, 0, 0)),
        ("今天 09:15", utc(2024, 6, 1, 1, 15)),
        ("3小时前", utc(2024, 6, 1, 1, 0)),
        ("5分钟前", utc(2024, 6, 1, 3, 55)),
        ("2天前", utc(2024, 5, 30, 4, 0)),
        ("刚刚", NOW),
        ("来源：解放日报 2016-11-22 16:06 作者：张三", utc(2016, 11, 22, 8, 6)),
    ],
)
def test_dateline_forms(text: str, expected: datetime) -> None:
    assert parse_dateline(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Copyright © 2003-2024 gongkong.com 版权所有",
        "版权所有 2005-2024 中国自动化网",
        "© 2022 智造观察 保留所有权利",
        "2018",
        "京ICP证030188号",
        "电话：0571-88888888",
        "共找到 1,280 条相关结果",
        "",
        "2024-13-45 10:00",
        "2099-01-01 10:00",
    ],
)
def test_not_a_dateline(text: str) -> None:
    assert parse_dateline(text, now=NOW) is None


def test_result_is_aware_utc() -> None:
    when = parse_dateline("2024-03-11 14:20", now=NOW)
    assert when is not None and when.tzinfo is UTC


def test_other_zone_can_be_requested() -> None:
    assert parse_dateline("2024-03-11 14:20", now=NOW, tz="UTC") == utc(2024, 3, 11, 14, 20)


def test_first_time_in_the_line_wins() -> None:
    line = "发布时间：2024-03-11 14:20 更新时间：2024-03-12 09:00"
    assert parse_dateline(line, now=NOW) == utc(2024, 3, 11, 6, 20)


def test_find_dates_reports_the_matched_text() -> None:
    (match,) = find_dates("发布时间：2024-03-11 14:20 来源：新华社", now=NOW)
    assert match.text == "2024-03-11 14:20"
    assert match.has_time


def test_default_now_is_current_time() -> None:
    when = parse_dateline("刚刚")
    assert when is not None and abs((datetime.now(UTC) - when).total_seconds()) < 60
