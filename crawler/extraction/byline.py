"""Read the writer(s) and the reprint source out of byline and footer lines.

Chinese portals label these inconsistently (作者/记者/文/ ; 来源/来自/稿源/转自, or a bare
《刊名》 after the time). Editors are never authors and outlets never people, so names are only
taken after writer labels, and cut at the next label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_NAME = r"[^\s:：,，。;；()（）【】\[\]<>《》|｜/／\"“”'‘’=]{1,16}"
_NAMES = rf"(?P<names>{_NAME}(?:(?:[ \t]+|、|，|,){_NAME}){{0,7}})"
_WRITER_LABELS = (
    rf"(?:作\s*者|撰\s*文|撰\s*稿|采\s*写|发帖人|楼\s*主|博\s*主|执笔人?)\s*[:：]\s*{_NAMES}",
    rf"(?:作\s*者)\s+{_NAMES}",
    rf"(?<![编辑])(?:特约|见习|首席)?记者\s*[:：]?\s*{_NAMES}",
    rf"(?:通讯员|实习生)\s*[:：]?\s*{_NAMES}",
    rf"(?:^|[\s(（【\[])文\s*[/／]\s*{_NAMES}",
    rf"\[\s*{_NAMES}\s*\]\s*来源",
    rf"[（(]\s*{_NAMES}\s+\S{{0,8}}报道\s*[)）]\s*$",
    rf"^\s*(?P<names>{_NAME})\s*(?:发表于|发布于|发表在|posted)",
)
WRITER = [re.compile(p) for p in _WRITER_LABELS]
# Words that end a list of names: the next label, or a time.
_STOP_TOKEN = re.compile(
    r"实习生|来源|来自|编辑|责编|发布|时间|日期|点击|浏览|阅读|摄影|摄$|报道|通讯员|记者|字号|稿源|出处|"
    r"转自|审核|校对|\d{4}|^\d|http|www\.|更新|评论|收藏|打印|关闭|分享"
)
_LABEL_WORD = re.compile(r"来源|来自|编辑|责编|发布|时间|日期|点击|浏览|阅读|通讯员|记者|稿源|出处")
_NAME_TRIM = re.compile(r"(?:等|/摄|摄|文|报道|撰文|供稿)$")
_CJK_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
_MAX_CJK_NAME = 5  # Chinese names are 2-4 characters; longer CJK runs are sentence text
_LONE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,3}(?:[ \t]+[\u4e00-\u9fff]{2,3}){0,2}$")
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
_GENERIC_SOURCE = frozenset(
    {"转载文章", "转载", "本站", "本网", "原创", "网络", "未知", "不详", "佚名", "本站原创", "综合"}
)
_SOURCE_LABEL = re.compile(
    r"(?:(?:信息|文章|新闻|稿件|内容)?(?:来源|来自|稿源|出处)(?:于)?|转(?:载)?自)\s*[:：]?\s*"
    r"(?P<src>[^\s|｜]{0,40}(?:[ \t][^\s|｜:：]{1,20})?)"
)
_SOURCE_CUT = re.compile(
    r"(?:本报|本刊|本台|本网讯|作者|编辑|责编|记者|时间|日期|发布|点击|浏览|通讯员|字号|http|www\.|\d{4}[-/年]).*$"
)
_OUTLET_SUFFIX = (
    r"(?:日报|晚报|晨报|早报|时报|商报|信报|周报|周刊|月刊|杂志|新闻网|在线|频道|客户端|电视台|"
    r"广播电台|通讯社|[报网刊社台])"
)
_BARE_OUTLET = re.compile(
    rf"^[\s|｜]*《?(?P<src>[\u4e00-\u9fff\w]{{1,14}}?{_OUTLET_SUFFIX})》?(?:\s|$)"
)
_BOOK_OUTLET = re.compile(r"^[\s(（]*《(?P<src>[^》]{2,16})》\s*[(（]?\s*\d{4}\s*年")
_PUNCT_EDGES = re.compile(
    r"^[\s:：\-—·|｜,，.。;；\"“”'‘’《》<>()（）\[\]【】]+|[\s:：\-—·|｜,，.。;；\"“”'‘’《》<>()（）\[\]【】]+$"
)
_TRAILING_NAMES = re.compile(
    r"[。！？!?”\s][(（]\s*(?P<names>[\u4e00-\u9fff]{2,3}(?:\s+[\u4e00-\u9fff]{2,3}){0,4})\s*[)）]\s*$"
)
_NOT_TRAILING_NAME = re.compile(r"[按讯语言记录件图表文篇章节续完社报网台稿]$|^(?:待|未|全文|本文)")
_LEAD_OUTLET = re.compile(
    r"^\s*[【\[(（]\s*(?P<src>[\u4e00-\u9fff]{2,10}?)\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"\s*(?:报道|电|讯)\s*[】\])）]"
)
_QUOTED = re.compile(r"《([^》]{2,20})》")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def find_author(texts: Iterable[str]) -> str | None:
    """Writers named after a writer label in the given lines, joined by one space.

    Names from all given lines are kept (``本报记者 A`` on one line, ``通讯员 B`` on the next).
    """
    found: list[str] = []
    for text in texts:
        text = nfkc(text)
        for pattern in WRITER:
            for match in pattern.finditer(text):
                if text[match.end() : match.end() + 1] == "=":  # broken markup: size="20"
                    continue
                for name in _names(match.group("names")):
                    if name not in found:
                        found.append(name)
    return " ".join(found) or None


def standalone_name(line: str) -> str | None:
    """A line that is only a person's name, as essays print it under the headline."""
    match = _LONE_NAME.match(nfkc(line).strip())
    if not match or match.group(0) in _NOT_NAMES or _NOT_NAME_END.search(match.group(0)):
        return None
    return " ".join(match.group(0).split())


def _names(raw: str) -> list[str]:
    names = []
    for token in re.split(r"[ \t、，,]+", raw.strip()):
        stop = _STOP_TOKEN.search(token)
        if stop:  # "陈晓明编辑：" (inline spans without spaces): keep the part before the label
            head = token[: stop.start()]
            labelled = _LABEL_WORD.match(stop.group(0)) is not None
            if head and labelled and not _STOP_TOKEN.match(token):
                names.append(_PUNCT_EDGES.sub("", head))
            break
        token = _NAME_TRIM.sub("", _PUNCT_EDGES.sub("", token))
        if _CJK_ONLY.match(token) and len(token) > _MAX_CJK_NAME:
            break
        if token and len(token) <= 16:
            names.append(token)
    return names


def clean_source(raw: str | None) -> str | None:
    """An outlet name without labels, brackets, URLs or trailing 作者/编辑 parts."""
    if not raw:
        return None
    text = _SOURCE_CUT.sub("", _URL.sub("", nfkc(raw)))
    quoted = _QUOTED.search(text)
    if quoted:  # 《电气传动》杂志 -> 电气传动
        text = quoted.group(1)
    text = _PUNCT_EDGES.sub("", text)
    words = text.split()
    text = _PUNCT_EDGES.sub("", words[0]) if words else ""
    if not text or "=" in text or '"' in text or len(text) > 30:
        return None
    return text


def labelled_sources(texts: Iterable[str]) -> list[str]:
    sources = []
    for text in texts:
        for match in _SOURCE_LABEL.finditer(nfkc(text)):
            source = clean_source(match.group("src"))
            if source:
                sources.append(source)
    return sources


def bare_outlet(after_date: str) -> str | None:
    """``2005年03月21日 11:21 《理财周刊》``: an outlet printed right after the time, unlabelled."""
    match = _BARE_OUTLET.match(nfkc(after_date))
    return clean_source(match.group("src")) if match else None


def book_outlet(texts: Iterable[str]) -> str | None:
    """Footer edition lines such as ``《光明日报》（ 2022年02月13日 02版）``."""
    for text in texts:
        match = _BOOK_OUTLET.match(nfkc(text))
        if match:
            return clean_source(match.group("src"))
    return None


def trailing_names(last_line: str) -> str | None:
    """Writers credited in brackets at the very end of the story: ``……佳节。（常书香 马丹阳）``."""
    match = _TRAILING_NAMES.search(nfkc(last_line))
    if not match:
        return None
    names = match.group("names").split()
    if any(n in _NOT_NAMES or _NOT_TRAILING_NAME.search(n) for n in names):
        return None
    return " ".join(names)


def lead_outlet(first_line: str) -> str | None:
    """The wire-style lead ``【看中国2005年07月03日报道】`` names the outlet the story is from."""
    match = _LEAD_OUTLET.match(nfkc(first_line))
    return clean_source(match.group("src")) if match else None


def is_generic(source: str) -> bool:
    return source in _GENERIC_SOURCE
