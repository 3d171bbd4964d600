"""Read a publish time out of a dateline such as ``发布时间：2024年03月08日 10:30``.

Portals print dates in a dozen shapes (``2008/4/17 8:50:49``, ``7/5/2005 9:23:57 PM``,
``昨天 10:20``, full-width digits). Times without a zone are Beijing time; we return aware UTC so
that storage never has to guess. Copyright lines and bare years are refused on purpose: a
footer ``© 2003-2024`` is the most common wrong answer of naive date finders.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_TIME = (
    r"(?:[T\s]*(?:-\s+)?(?P<ampm1>上午|下午|早上|晚上)?\s*(?P<hour>\d{1,2})\s*[:时点]\s*(?P<minute>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<second>\d{1,2})(?:\.\d+)?秒?)?分?"
    r"\s*(?P<ampm2>[AaPp]\.?[Mm]\.?(?![a-zA-Z]))?)?"
)
_ZONE = (
    r"\s*(?P<zone>Z(?![a-zA-Z])|[+-]\d{2}:?\d{2}|(?:GMT|UTC)\s*(?:[+-]\s*\d{1,2}(?::?\d{2})?)?)?"
)

_YMD = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<month>\d{1,2})\s*(?:[-/.]|月)\s*"
    r"(?P<day>\d{1,2})(?!\d)\s*日?" + _TIME + _ZONE
)
_MDY = re.compile(
    r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>(?:19|20)\d{2})(?!\d)" + _TIME + _ZONE
)
_YM = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})\s*年\s*(?P<month>\d{1,2})\s*月(?!\s*\d)")
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_EN = re.compile(
    r"\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{2})(?!\d),?" + _TIME + _ZONE,
    re.I,
)
_RELATIVE_AGO = re.compile(r"(?P<n>\d+)\s*(?P<unit>秒|分钟|小时|天|日|周|星期)\s*前")
_RELATIVE_DAY = re.compile(
    r"(?P<word>今天|昨天|前天)\s*(?:(?P<hour>\d{1,2})\s*[:：时点]\s*(?P<minute>\d{1,2}))?"
)
_JUST_NOW = re.compile(r"刚刚")
_COPYRIGHT = re.compile(r"copyright|版权|©|\(c\)|all rights reserved", re.I)

_AGO_UNITS = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "日": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


@dataclass(frozen=True)
class DateMatch:
    """A time found in a text and the exact characters it was read from."""

    when: datetime  # aware, UTC
    text: str
    start: int
    has_time: bool


def _zone(raw: str | None, default: tzinfo) -> tzinfo:
    if not raw:
        return default
    raw = raw.replace(" ", "").upper()
    if raw == "Z" or raw in {"GMT", "UTC"}:
        return UTC
    match = re.search(r"([+-])(\d{1,2}):?(\d{2})?$", raw)
    if not match:
        return default
    sign = -1 if match.group(1) == "-" else 1
    offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    return timezone(sign * offset)


def _hour(groups: dict[str, str | None]) -> int:
    hour = int(groups.get("hour") or 0)
    marker = (groups.get("ampm1") or groups.get("ampm2") or "").lower().replace(".", "")
    if marker in {"pm", "下午", "晚上"} and hour < 12:
        hour += 12
    elif marker in {"am", "上午", "早上"} and hour == 12:
        hour = 0
    return hour


def _day_first(groups: dict[str, str | None]) -> dict[str, str | None]:
    """Resolve ``a/b/yyyy``: ASP pages print unpadded US ``7/5/2005 9:23:57 PM``; European
    sites print padded ``06/02/2022 13:48`` day first. A part above 12 settles it outright."""
    first, second = groups["month"] or "", groups["day"] or ""
    if int(second) > 12:
        return groups
    us_style = groups.get("ampm2") or groups.get("ampm1") or len(first) == 1 or len(second) == 1
    if int(first) > 12 or not us_style:
        return {**groups, "month": second, "day": first}
    return groups


def _build(groups: dict[str, str | None], month: int, default: tzinfo) -> datetime | None:
    try:
        local = datetime(
            int(groups["year"] or 0),
            month,
            int(groups.get("day") or 1),
            _hour(groups),
            int(groups.get("minute") or 0),
            int(groups.get("second") or 0),
            tzinfo=_zone(groups.get("zone"), default),
        )
    except (ValueError, TypeError):
        return None
    return local.astimezone(UTC)


def _absolute(text: str, default: tzinfo) -> list[DateMatch]:
    found = []
    for pattern in (_YMD, _MDY, _EN, _YM):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            if pattern is _MDY:
                groups = _day_first(groups)
            month = (
                _MONTHS.index(groups["mon"][:3].lower()) + 1
                if groups.get("mon")
                else int(groups["month"])
            )
            when = _build(groups, month, default)
            if when is not None:
                raw = match.group(0).strip()
                found.append(DateMatch(when, raw, match.start(), bool(groups.get("hour"))))
    return found


def _relative(text: str, now: datetime, default: tzinfo) -> list[DateMatch]:
    found = []
    for match in _RELATIVE_AGO.finditer(text):
        delta = _AGO_UNITS[match.group("unit")] * int(match.group("n"))
        found.append(DateMatch(now - delta, match.group(0), match.start(), True))
    for match in _RELATIVE_DAY.finditer(text):
        local_day: date = now.astimezone(default).date() - timedelta(
            days=_DAYS_BACK[match.group("word")]
        )
        hour, minute = int(match.group("hour") or 0), int(match.group("minute") or 0)
        if hour > 23 or minute > 59:
            continue
        local = datetime(
            local_day.year, local_day.month, local_day.day, hour, minute, tzinfo=default
        )
        found.append(
            DateMatch(
                local.astimezone(UTC), match.group(0), match.start(), bool(match.group("hour"))
            )
        )
    for match in _JUST_NOW.finditer(text):
        found.append(DateMatch(now, match.group(0), match.start(), True))
    return found


def find_dates(
    text: str, now: datetime | None = None, tz: str = "Asia/Shanghai"
) -> list[DateMatch]:
    """All plausible times in ``text`` in reading order (copyright lines yield none)."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)
    if _COPYRIGHT.search(text):
        return []
    default = ZoneInfo(tz)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    latest = now + timedelta(days=2)
    matches = [
        m
        for m in _absolute(text, default) + _relative(text, now, default)
        if m.when <= latest and m.when.year >= 1990
    ]
    matches.sort(key=lambda m: (m.start, -len(m.text)))
    unique: list[DateMatch] = []
    for match in matches:
        if unique and match.start < unique[-1].start + len(unique[-1].text):
            continue
        unique.append(match)
    return unique


def parse_dateline(
    text: str, now: datetime | None = None, tz: str = "Asia/Shanghai"
) -> datetime | None:
    """The first publish time in a dateline, as aware UTC; None when there is none."""
    matches = find_dates(text, now, tz)
    return matches[0].when if matches else None
