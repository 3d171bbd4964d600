"""The one vocabulary of credit-line labels (来源, 作者, 记者, 编辑, 摄影, 时间 ...).

Every label is spelled once, on folded text (see :func:`.text.fold`), and may carry an inner
space (``来 源``, ``编 辑``) because CMS templates pad two-character labels to the width of
four-character ones.  :data:`FIELD_RE` segments a line into "label -> text up to the next
label", which copes with any field order and with values that run into the next label with
no delimiter (``来源:中国电力报作者:张三``).
"""

from __future__ import annotations

import re

from pipelines.attribution.text import DATE, TIME

__all__ = ["BODY_CREDIT_RE", "FIELD_RE", "NO_VALUE", "OWN_SOURCE", "spaced"]


def spaced(word: str) -> str:
    """``编辑`` -> a pattern that also accepts ``编 辑`` (one padding space or tab)."""
    return r"[ \t]?".join(re.escape(ch) for ch in word)


def _any(*words: str) -> str:
    return "|".join(spaced(w) for w in sorted(words, key=len, reverse=True))


# Boilerplate that contains 转载/来源/出处 but attributes nothing ("转载请注明来源:本站").
JUNK = (
    r"(?:未经[^,;。\n]{0,8})?(?:禁止|严禁|谢绝|不得)转载[^,;。\n]*"
    r"|如需转载[^,;。\n]*|欢迎转载[^,;。\n]*|转载请[^,;。\n]*|转载须[^,;。\n]*"
    r"|版权(?:归|所有|声明)[^,;。\n]*|免责声明[^\n]*|(?:本文)?(?:仅代表|不代表)[^,;。\n]*"
)
SOURCE = (
    r"(?:信息|文章|新闻|稿件|内容|消息|资讯|本文|图文|素材)?" + spaced("来源") + r"(?:于|自)?"
    r"|稿源|(?:本文)?转载(?:自|于)|转载(?=\s*:)|(?:本文)?转自|本文来自|来自(?=\s*:)|出处|摘自"
    r"|(?i:source)(?=\s*:)"
)
# A reporter label may run straight into the name ("特派记者王五", "本报实习生李四"); the
# other writer labels need a colon or a space, so that a heading like "作者手记" is no credit.
REPORTER = (
    r"(?:本报|本网|本站|本刊|本台|特约|特派|见习|实习|首席|驻[\u4e00-\u9fff]{1,4}"
    r"|新华社|中新社|央视|融媒体)?(?:" + _any("记者", "实习生", "通讯员") + ")"
)
WRITER = (
    REPORTER
    + "|(?:"
    + _any("作者", "撰文", "撰稿", "采写", "执笔人", "执笔")
    + r"|发帖人|楼主|博主|(?i:author))(?=\s*:|[ \t]+[^ \t:])"
    r"|(?<![\w./:])文\s*(?:[/|丨]|:(?!\s*$))"
)
CONTRIBUTOR = (
    "(?:"
    + _any("供稿单位", "供稿人", "供稿", "出品方", "出品单位", "来稿单位")
    + r")(?=\s*:|[ \t]+[^ \t:])"
)
PHOTO = (
    _any("摄影", "摄像", "照片", "图片") + r"(?=\s*[:/])"
    r"|(?<![\w./:])图\s*[/|丨:]"
)
EDITOR = _any(
    "责任编辑",
    "值班编辑",
    "网络编辑",
    "编辑",
    "责编",
    "小编",
    "编审",
    "审核",
    "审校",
    "校对",
    "终审",
    "复审",
    "初审",
    "美编",
)
URL_LABEL = r"原文(?:链接|地址|网址)|链接地址"
STOP = (
    r"(?:发布|更新|发表|上传|录入)(?:时间|日期|于|者|人)|时间|日期"
    r"|点击(?:数|量|次数|率)?|浏览(?:次数|量|数)?|阅读(?:数|量|次数)?|人气|热度|访问量"
    r"|关键词|关键字|标签|(?i:tags?)(?=\s*:)|栏目|分类|字号|字体|分享(?:到)?|打印|关闭|收藏"
    r"|评论|我要评论"
)
# The order of the alternatives matters where two could start at the same position
# (责任编辑 before 编辑, 供稿单位 before 供稿).
FIELD_RE = re.compile(
    rf"(?P<junk>{JUNK})"
    rf"|(?P<edit>{EDITOR})\s*:?\s*"
    rf"|(?P<src>{SOURCE})\s*:?\s*"
    rf"|(?P<contrib>{CONTRIBUTOR})\s*:?\s*"
    rf"|(?P<photo>{PHOTO})\s*:?\s*"
    rf"|(?P<auth>{WRITER})\s*:?\s*"
    rf"|(?P<url>{URL_LABEL})\s*:?\s*"
    rf"|(?P<stop>{STOP})\s*:?\s*"
)

# A body line (first/last two only) that is nothing but a credit line.  Stricter than the
# byline scanner: labels need a colon here, because "记者从国家能源局获悉" and "来源于…的数据
# 显示" are ordinary opening sentences; a bracketed "(本报记者 张三 李四)" needs no colon.
BODY_CREDIT_RE = re.compile(
    r"^[\s(\[【<《—\-–·*]*"
    r"(?:(?:发布|更新)?(?:时间|日期)\s*:?\s*)?"
    rf"(?:{DATE}\s*)?(?:{TIME}\s*)?"
    rf"(?:(?:信息|文章|新闻|稿件|内容|本文)?{spaced('来源')}(?:于|自)?\s*[:\]】)]|稿源\s*:"
    r"|(?:本文)?转载(?:自|于)|(?:本文)?转自|本文来自|出处\s*:|摘自\s*:?|(?i:source)\s*:"
    rf"|(?:{WRITER}|{EDITOR}|{CONTRIBUTOR}|{PHOTO})\s*:"
    r"|文\s*[/|丨])"
    r"|^\s*[(\[【]\s*(?:本报|本网|特约|特派|驻[\u4e00-\u9fff]{1,4})?记者[^()\[\]【】]{1,40}"
    r"[)\]】]\s*$"
)

# Values that mean "the CMS had no value here".  A source placeholder falls back to the portal
# itself (本站, 原创: the portal's own article); an author placeholder means no author.
OWN_SOURCE = re.compile(
    r"^(?:本站|本网|本刊|本报)(?:原创)?$|^(?:网站|本站|本网)?原创(?:文章|内容|稿件)?$"
    r"|^(?:未知|不详|佚名|无|暂无|综合|转载|转载文章|网友投稿|投稿)$|^本站"
)
NO_VALUE = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "editor",
        "system",
        "匿名",
        "佚名",
        "未知",
        "不详",
        "无",
        "暂无",
        "本站",
        "本网",
        "网友",
        "网络",
        "管理员",
        "小编",
        "原创",
        "本站原创",
        "转载",
        "综合",
        "null",
        "none",
        "unknown",
        "-",
        "--",
    }
)
