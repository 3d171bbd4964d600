"""People in credit lines: the value after a writer label -> a list of names.

Names are 2-4 Chinese characters or a short Latin handle; a list is separated by spaces,
``、`` or commas and ends at the next label, a date, a bracket or a place + ``报道``
(``记者 张三 北京报道``).  Placeholders (``admin``, ``佚名``) are no name at all.
"""

from __future__ import annotations

import re

from pipelines.attribution.labels import NO_VALUE
from pipelines.attribution.text import CJK, DATE, TIME

__all__ = ["names", "standalone_name", "trailing_names", "unlabelled_writers"]

_CUT_RE = re.compile(
    rf"[|丨,;。!?()\[\]【】<>{{}}/:=\"“”《》]|—|--|\s{{3,}}|{DATE}|{TIME}|https?:|www\."
)
_MARKUP_RE = re.compile(r"^\s*[A-Za-z_-]+\s*=")
_SPLIT_RE = re.compile(r"[ \t、,]+")
_TRIM_RE = re.compile(r"^[\s*#·\-–'‘’]+|[\s*#·\-–'‘’.]+$")
_REPORT_END = re.compile(r"(?:报道|报导|发自|电|撰文|供稿|整理|编译)$")
_TRAIL_WORD = re.compile(r"(?:等|文|报道|报导)$")
_CJK_ONLY = re.compile(rf"^[{CJK}]+$")
_MAX_CJK_NAME = 5  # Chinese names are 2-4 characters; longer CJK runs are sentence text
_MAX_NAME = 16

_LONE_NAME = re.compile(rf"^[{CJK}]{{2,3}}(?:[ \t]+[{CJK}]{{2,3}}){{0,2}}$")
_NOT_NAMES = frozenset(
    [
        "前言",
        "引言",
        "摘要",
        "序言",
        "导语",
        "目录",
        "正文",
        "附件",
        "注释",
        "参考文献",
        "后记",
        "结语",
        "小结",
        "概述",
        "简介",
        "背景",
        "图片",
        "视频",
    ]
)
_NOT_NAME_END = re.compile(r"[按讯语言记录件图表文篇章节]$")
_TRAILING_NAMES = re.compile(
    rf"[。!?”\s]\(\s*(?P<names>[{CJK}]{{2,3}}(?:\s+[{CJK}]{{2,3}}){{0,4}})\s*\)\s*$"
)
_NOT_TRAILING_NAME = re.compile(r"[按讯语言记录件图表文篇章节续完社报网台稿]$|^(?:待|未|全文|本文)")
_NAME = r"[^\s:,。;()\[\]<>《》|/\"“”'‘’=]{1,16}"
# Writer shapes without a writer label: "[张三]来源", "(张三 北京报道)", "张三 发表于".
_UNLABELLED = (
    re.compile(rf"\[\s*(?P<names>{_NAME})\s*\]\s*来源"),
    re.compile(rf"\(\s*(?P<names>{_NAME}(?:\s+{_NAME}){{0,3}})\s+\S{{0,8}}报[道导]\s*\)\s*$"),
    re.compile(rf"^\s*(?P<names>{_NAME})\s*(?:发表于|发布于|发表在|posted)"),
)


def names(value: str, *, org: bool = False) -> list[str]:
    """The people named at the start of ``value`` (the text after a writer label).

    ``org``: the label credits an organisation (供稿单位, 出品方), whose name may be long.
    """
    if _MARKUP_RE.match(value):  # template residue: '作者： size="20"'
        return []
    value = _CUT_RE.split(value, maxsplit=1)[0]
    found: list[str] = []
    for token in _SPLIT_RE.split(value.strip()):
        token = _TRIM_RE.sub("", token)
        if not token:
            continue
        if _REPORT_END.search(token):  # "北京报道", "张三报道": the list is over
            head = _REPORT_END.sub("", token)
            if not found and 2 <= len(head) <= 4 and _CJK_ONLY.match(head):
                found.append(head)
            break
        token = _TRAIL_WORD.sub("", token)
        if token.endswith("摄"):  # "张三摄": a photographer inside a writer list
            break
        if _CJK_ONLY.match(token) and len(token) > (_MAX_NAME if org else _MAX_CJK_NAME):
            break
        if not token or len(token) > _MAX_NAME or token.casefold() in NO_VALUE:
            continue
        if token not in found:
            found.append(token)
    return found


def unlabelled_writers(line: str) -> list[str]:
    """Writers printed without a label in one of the known shapes (see ``_UNLABELLED``)."""
    for pattern in _UNLABELLED:
        m = pattern.search(line)
        if m:
            return names(m.group("names"))
    return []


def standalone_name(line: str) -> str | None:
    """A line that is only a person's name, as essays print it under the headline."""
    m = _LONE_NAME.match(line.strip())
    if not m or m.group(0) in _NOT_NAMES or _NOT_NAME_END.search(m.group(0)):
        return None
    return " ".join(m.group(0).split())


def trailing_names(last_line: str) -> str | None:
    """Writers credited in brackets at the very end of the story: ``……佳节。(常书香 马丹阳)``."""
    m = _TRAILING_NAMES.search(last_line)
    if not m:
        return None
    found = m.group("names").split()
    if any(n in _NOT_NAMES or _NOT_TRAILING_NAME.search(n) for n in found):
        return None
    return " ".join(found)
