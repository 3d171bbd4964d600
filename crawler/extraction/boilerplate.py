"""Line patterns for what surrounds an article inside its own block.

The region found by scoring still holds the headline, the dateline, share bars, "相关新闻"
lists, disclaimers and the attribution footer. These are recognised by wording, which is
stable across portals, and cut only at the start or end of the body (or as whole short lines)
so that article sentences that merely mention such words stay.
"""

from __future__ import annotations

import re
import unicodedata

from crawler.extraction.dates import find_dates

# A short line that starts the trailing junk: everything from it on is not article.
STOP_LINE = re.compile(
    r"^[\s【\[\(（<《]*(?:相关(?:新闻|阅读|文章|链接|报道|资讯|专题|搜索|内容)|其他资讯|其它资讯|"
    r"热点(?:排行|新闻|推荐)|推荐(?:阅读|文章|资讯)|延伸阅读|热门(?:文章|新闻|推荐|评论)|点击排行|"
    r"编辑推荐|今日推荐|猜你喜欢|上一篇|下一篇|上一页|下一页|分享到|分享至|发表评论|网友评论|我要评论|"
    r"评论(?:列表|区)|最新评论|查看更多|投诉建议|免责声明|版权声明|特别声明|声明[:：]|版权所有|"
    r"已有\d+[件条个]评论|\d+\s*[件条]评论|copyright|打印本[页文]|打印此文|关闭窗口|返回顶部|返回首页|收藏本文|推荐给好友|【?字号)",
    re.I,
)
_STOP_MAX_LEN = 40
_COUNTER_MAX_LEN = 60
# "《标题》已有3条评论" opens the comment list wherever the count sits in the line.
_COMMENT_COUNT = re.compile(r"已有\s*\d+\s*[件条个篇]\s*(?:评论|回复|留言)|共\s*\d+\s*条评论")
_READ_COUNT = re.compile(r"(?:已被|被)?(?:阅读|浏览|点击|访问)\s*[:：]?\s*\d+\s*次|Trackback", re.I)
_LONG_STOP = re.compile(
    r"^[\s【\[\(（]*(?:免责声明|版权声明|特别声明|声明[:：]|凡本网|本网注明|版权所有|copyright)",
    re.I,
)
# Whole lines that are chrome wherever they appear.
JUNK_LINE = re.compile(
    r"^[\s【\[\(（]*(?:字[号体][:：]?\s*[【\[]?\s*[大中小]|打印|关闭|收藏|分享到|评论\s*\d|点击[数量次]|"
    r"阅读[数量次]|浏览[数量次]|返回|顶部|\d+\s*人?(?:参与|评论)|扫一扫|扫描二维码)[^。！？]{0,30}$"
)
# Attribution lines at the end of the body: kept verbatim as footer_text, removed from body.
FOOTER_LINE = re.compile(
    r"^[\s【\[\(（]*(?:(?:信息|文章|新闻|稿件|内容)?来源(?:于)?\s*[:：]?|转自|转载自|稿源|出处[:：]|"
    r"(?:责任|实习|值班)?编辑[:：\s]|责编|编审|校对|审核|审校|作者[:：]|撰稿|摄影[:：]|(?:本文)?图片来源|"
    r"原标题|（完）|\(完\)|［完］|【完】|\[完\])"
)
_FOOTER_MAX_LEN = 60
# Datelines and byline lines at the top of the body.
BYLINE_LABEL = re.compile(
    r"(?:发布|更新|发表|录入|上传|添加)?(?:时间|日期)\s*[:：]|来源\s*[:：]|来自\s*[:：]|作者\s*[:：]|"
    r"编辑\s*[:：]|点击|浏览|阅读\s*[:：(（]|字号|字体"
)
BYLINE_DATE = re.compile(r"\d{4}\s*[-/年.]\s*\d{1,2}\s*[-/月.]\s*\d{1,2}")
_CJK_CLAUSE = re.compile(r"[，。]")
_BYLINE_MAX_LEN = 120
BREADCRUMB_LINE = re.compile(
    r"(?:>|»|›|＞|→).*(?:>|»|›|＞|→)|^(?:当前位置|您的位置|你的位置|位置)\s*[:：]"
)
_WS = re.compile(r"\s+")
_DUP_MIN = 20
_FOOTER_SCAN = 4
_HEAD_SCAN = 10
_HEAD_SHORT = 40
_DATE_LINE_MAX = 60
_SENTENCE = re.compile(r"[，。！？；]")


def squash(text: str | None) -> str:
    """NFKC and no whitespace: the form in which lines and titles are compared."""
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


def is_stop(line: str) -> bool:
    if len(line) <= _STOP_MAX_LEN and STOP_LINE.match(line):
        return True
    if len(line) <= _COUNTER_MAX_LEN and _COMMENT_COUNT.search(line):
        return True
    return bool(_LONG_STOP.match(line))


def is_junk(line: str) -> bool:
    if len(line) <= _COUNTER_MAX_LEN and _READ_COUNT.search(line):
        return True
    return bool(JUNK_LINE.match(line))


def is_footer(line: str) -> bool:
    return len(line) <= _FOOTER_MAX_LEN and bool(FOOTER_LINE.match(line))


def is_byline(line: str) -> bool:
    """A short labelled line; a sentence (ends in 。 or is full of commas) is article text."""
    if (
        len(line) > _BYLINE_MAX_LEN
        or line.rstrip().endswith("。")
        or len(_SENTENCE.findall(line)) > 2
    ):
        return False
    if BYLINE_LABEL.search(line):
        return True
    if _CJK_CLAUSE.search(line):  # a date inside a sentence is article text, not a dateline
        return False
    if BYLINE_DATE.search(line):
        return True
    dates = find_dates(line) if len(line) <= _DATE_LINE_MAX else []
    return bool(dates) and len(dates[0].text) * 2 >= len(line)


def is_breadcrumb(line: str) -> bool:
    return len(line) <= 80 and bool(BREADCRUMB_LINE.search(line))


def trim(lines: list[str], title: str | None) -> tuple[list[str], list[str], list[str]]:
    """Split region lines into (head byline lines, body lines, footer lines)."""
    head, start = _head(lines, squash(title))
    body = lines[start:]
    for k, line in enumerate(body):
        if k > 0 and is_stop(line):
            body = body[:k]
            break
    body = _dedupe([line for line in body if not is_junk(line)])
    return head, *split_footer(body)


def split_footer(body: list[str]) -> tuple[list[str], list[str]]:
    """Move attribution lines at the end of the body to the footer.

    A picture caption (``[图片说明：...]``) may sit after the attribution; it stays in the body
    and the scan goes on above it.
    """
    kept: list[str] = []
    footer: list[str] = []
    k = len(body) - 1
    while k >= 0 and len(body) - k <= _FOOTER_SCAN:
        line = body[k]
        if is_footer(line) or (footer and _bracketed(line) and not kept):
            footer.insert(0, line)
        elif _bracketed(line) and not footer:
            kept.insert(0, line)
        else:
            break
        k -= 1
    return body[: k + 1] + kept, footer


def _head(lines: list[str], title_key: str) -> tuple[list[str], int]:
    """Byline lines above the first paragraph, and where the paragraphs start.

    The top of an article block often reads: headline, subtitle, headline again, bylines.
    Short non-sentence lines are skipped as long as a headline or byline still follows them.
    """
    head: list[str] = []
    pending: list[str] = []
    start = 0
    for k, line in enumerate(lines[:_HEAD_SCAN]):
        key = squash(line)
        if title_key and (
            key == title_key
            or (title_key in key and len(key) < 2 * len(title_key) and len(key) < 100)
        ):
            head.clear()
            pending = []
            start = k + 1
        elif is_byline(line) or is_breadcrumb(line) or is_junk(line) or len(key) <= 1:
            head.extend(pending)
            pending = []
            if not is_junk(line) and len(key) > 1:
                head.append(line)
            start = k + 1
        elif len(key) > _HEAD_SHORT or _SENTENCE.search(line):
            break
        else:
            pending.append(line)  # 本报记者 X: kept as byline once a dateline follows it
    return head, start


def _dedupe(lines: list[str]) -> list[str]:
    """Drop repeated paragraphs: some CMSs print the article twice (screen + print copy)."""
    seen: set[str] = set()
    kept = []
    for line in lines:
        key = "".join(line.split())
        if len(key) >= _DUP_MIN and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return kept


def _bracketed(line: str) -> bool:
    return len(line) <= _FOOTER_MAX_LEN and line[:1] in "（(【[" and line[-1:] in "）)】]"
