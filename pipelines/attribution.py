"""Reprint attribution: which outlet first published an article, and did the portal copy it.

Industrial portals reprint each other and the trade press all day, and say so in a dozen
free-text shapes (``来源:解放日报``, ``信息来源于:中国石化新闻网``, ``（来源：中国电力报）``,
``本文转载自微信公众号“智能制造”``, ``中国电力新闻网讯``, ``新华社北京3月5日电``...).  This
module turns those shapes into one normalised outlet name so that ``GROUP BY source`` in SQL
gives true counts, plus a ``source_url``, an ``is_reprint`` flag and, as a by-product, the
author named next to the source.

Cost matters because every item passes through here: all regexes are compiled once at import,
and only the byline, the footer, the meta tags and the first/last two non-empty body lines are
ever looked at -- the body proper is split once and never searched.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.config import DATA_DIR, ConfigError, load_yaml

__all__ = [
    "DEFAULT_ALIASES_FILE",
    "Attribution",
    "AttributionPipeline",
    "SourceAliases",
    "aliases_for",
    "attribute",
    "fold",
    "load_aliases",
    "normalize_source",
]

DEFAULT_ALIASES_FILE = DATA_DIR / "source_aliases.yaml"

# -- text folding ----------------------------------------------------------------------------

# Traditional -> simplified for the characters that occur in attribution labels and in outlet
# names.  A full converter (OpenCC) is not installed and would be overkill: we only need 來源,
# 轉載, 出處, 記者, 編輯 ... to be recognised, and outlet names to group with their simplified
# spelling.  Pairs are "traditional, simplified".
_TRAD_SIMP_PAIRS = (
    "來来轉转載载處处於于訊讯電电報报網网記记編编輯辑責责點点擊击瀏浏覽览閱阅讀读數数"
    "發发佈布時时間间國国華华經经濟济聞闻業业動动傳传證证學学財财聯联東东視视廣广與与"
    "會会號号眾众衆众為为產产區区開开門门體体團团實实據据設设備备氣气礦矿機机務务員员"
    "導导億亿條条線线頭头應应專专雜杂誌志際际錄录標标準准術术環环鋼钢鐵铁陽阳臺台灣湾"
    "黨党歡欢資资圖图書书頻频爐炉車车軍军農农醫医藥药礎础豐丰滬沪遼辽寧宁陝陕蘇苏廈厦"
    "紅红綠绿澤泽總总優优質质價价額额這这個个們们認认識识選选訂订週周鐘钟頁页聲声權权"
    "協协鄉乡鎮镇縣县廳厅廠厂勢势戰战監监測测誤误錯错係系後后裡里麼么創创轄辖層层熱热"
    "審审攝摄簡简葉叶劉刘陳陈張张楊杨黃黄趙赵吳吴孫孙鄭郑"
)
_FOLD_TABLE: dict[int, str] = {
    **{ord(t): s for t, s in zip(_TRAD_SIMP_PAIRS[0::2], _TRAD_SIMP_PAIRS[1::2], strict=True)},
    **{cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)},  # full-width ASCII
    0x3000: " ",  # ideographic space
    0x00A0: " ",  # &nbsp;
}
_NEEDS_FOLD_RE = re.compile("[" + re.escape("".join(map(chr, _FOLD_TABLE))) + "]")


def fold(text: str) -> str:
    """Fold full-width/half-width and traditional/simplified variants onto one spelling.

    Full-width ``：（），／｜`` and digits become ASCII, so every pattern below spells
    punctuation only once; traditional label and outlet characters become simplified, so
    ``來源：經濟日報`` groups with ``来源：经济日报``.  A table rather than NFKC because NFKC
    costs ~0.2 µs per CJK character and this runs on every item; the regex pre-check keeps
    already-folded text (the common case for bylines) at a single scan.
    """
    if _NEEDS_FOLD_RE.search(text) is None:
        return text
    return text.translate(_FOLD_TABLE)


# -- patterns (all applied to folded text) ---------------------------------------------------

_CJK = "\u4e00-\u9fff"
_DATE = (
    r"(?:\d{4}\s*[-/.年]\s*\d{1,2}(?:\s*[-/.月]\s*\d{1,2}\s*日?)?"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日)"
)
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"

# Boilerplate that contains 转载/出处 but attributes nothing ("转载请注明出处").
_JUNK = (
    r"(?:未经[^,;。\n]{0,8})?(?:禁止|严禁|谢绝|不得)转载[^,;。\n]*"
    r"|如需转载[^,;。\n]*|欢迎转载[^,;。\n]*|转载请[^,;。\n]*|转载须[^,;。\n]*"
    r"|版权(?:归|所有)[^,;。\n]*|免责声明[^\n]*"
)
_SRC_LABEL = (
    r"(?:信息|文章|新闻|稿件|内容|消息|资讯|本文)?来源(?:于|自)?"
    r"|稿源|(?:本文)?转载(?:自|于)?|(?:本文)?转自|本文来自|出处|摘自|(?i:source)(?=\s*:)"
)
_AUTH_LABEL = (
    r"作者|撰文|撰稿|(?:本报|本网|本站|本刊|特约|见习|实习|新华社|中新社)?记者"
    r"|(?<![\w./:])文\s*[/|丨]"
)
_EDIT_LABEL = r"责任编辑|值班编辑|责编|编辑|编审|审核|审校|校对|终审|复审|初审|美编"
_URL_LABEL = r"原文(?:链接|地址|网址)|链接地址"
_STOP_LABEL = (
    r"(?:发布|更新|发表|上传)(?:时间|日期|于|者|人)|时间|日期"
    r"|点击(?:数|量|次数|率)?|浏览(?:次数|量|数)?|阅读(?:数|量|次数)?|人气|热度|访问量"
    r"|字号|字体|通讯员|摄影|供稿|分享(?:到)?|打印|关闭|收藏"
)
# One scanner for every label: a byline is segmented into "label -> text up to next label",
# which copes with any field order ("时间:… 来源:… 作者:… 点击:…").  Order of the
# alternatives matters where two could start at the same position (责任编辑 vs 编辑).
# The leading look-ahead lists every label's first character: it lets the engine skip the
# ordinary characters of a line in one step instead of trying six alternations at each.
_LABEL_FIRST_CHARS = (
    "未禁严谢不如欢转版免责值编审校终复初美信文新稿内消资本来出摘sS"
    "作撰特见实中记原链发更上时日点浏阅人热访字通摄供分打关收"
)
_FIELD_RE = re.compile(
    rf"(?=[{_LABEL_FIRST_CHARS}])(?:(?P<junk>{_JUNK})"
    rf"|(?P<edit>{_EDIT_LABEL})\s*:?\s*"
    rf"|(?P<src>{_SRC_LABEL})\s*:?\s*"
    rf"|(?P<auth>{_AUTH_LABEL})\s*:?\s*"
    rf"|(?P<url>{_URL_LABEL})\s*:?\s*"
    rf"|(?P<stop>{_STOP_LABEL})\s*:?\s*)"
)

_WRAP_CHARS = " \t\u3000\"'“”‘’《》「」『』()[]【】<>:·*#~-—–_./\\|丨,;。、!?"
_LEAD_WRAP_RE = re.compile(r"^[\s(\[【<《「『“\"'—\-–·*#]+")

# A body line (first/last two only) that is nothing but an attribution/credit line.  Stricter
# than the byline scanner: 来源/作者/编辑/记者 need a colon here, because "记者从国家能源局获悉"
# and "来源于…的数据显示" are ordinary opening sentences.
_BODY_CREDIT_RE = re.compile(
    r"^[\s(\[【<《—\-–·*]*"
    r"(?:(?:发布|更新)?(?:时间|日期)\s*:?\s*)?"
    rf"(?:{_DATE}\s*)?(?:{_TIME}\s*)?"
    r"(?:(?:信息|文章|新闻|稿件|内容|本文)?来源(?:于|自)?\s*:|稿源\s*:"
    r"|(?:本文)?转载(?:自|于)|(?:本文)?转自|本文来自|出处\s*:|摘自\s*:?|(?i:source)\s*:"
    r"|(?:作者|撰文|责任编辑|责编|编辑|编审|审核|校对|(?:本报|本网)?记者)\s*:"
    r"|文\s*[/|丨])"
)
_BODY_LINE_MAX = 100
_LEAD_PREFIX = 80  # "新华社北京3月5日电（记者 张三、李四 通讯员 王五）" fits with room to spare

# Lead forms: "中国电力新闻网讯", "本报讯（记者 张三）", "新华社北京3月5日电", "央视网消息".
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_LEAD_RE = re.compile(
    rf"^[\s(\[【]*(?P<who>[{_CJK}A-Za-z0-9]{{1,14}}?"
    r"(?:网|社|报|台|刊|站|客户端|科技|财经|新闻|在线|频道))"
    rf"(?:[{_CJK}]{{0,8}}?{_NUM}月{_NUM}日)?\s*(?P<kind>讯|电|消息)"
)
_LEAD_BYLINE_RE = re.compile(r"\s*\(\s*([^()]{1,40})\)")
_UNKNOWN_LEADS = frozenset({"本报", "本刊"})  # the newspaper is not named: no evidence
_OWN_LEADS = frozenset({"本网", "本站"})

_URL_RE = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&*+=%]+"
    r"|(?<![\w@.])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|gov|edu|cc|tv|io)"
    r"(?:\.cn)?/[A-Za-z0-9\-._~:/?#@!$&*+=%]*",
    re.IGNORECASE,
)
_DOMAIN_RE = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)/?$")
_ANCHOR_RE = re.compile(
    r"<a\b[^>]*?href\s*=\s*[\"']?([^\"'\s>]+)[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL
)
_TAG_RE = re.compile(r"<[^>]*>")
_SOURCE_CUT_RE = re.compile(rf"[|丨,;。、!?()\[\]【】<>{{}}]|—|--|\s{{2,}}|\s+-\s+|{_DATE}|{_TIME}")
_PERSON_CUT_RE = re.compile(rf"[|丨,;。!?()\[\]【】<>{{}}]|—|--|\s{{3,}}|{_DATE}|{_TIME}")
_ACCOUNT_PREFIX_RE = re.compile(
    r"^(?:微信公众号|微信公号|公众号|微信号|微信|官方微博|微博|头条号)\s*:?\s*"
)
_HAS_WORD_RE = re.compile(rf"[{_CJK}A-Za-z]")
_HAS_CJK_RE = re.compile(rf"[{_CJK}]")
_SPACES_RE = re.compile(r"\s+")
_OWN_RE = re.compile(r"^(?:本站|本网|原创$|网站原创$|原创文章$)")
_NAME_MAX = 40
_PERSON_MAX = 30

_META_SOURCE_KEYS = ("source", "article:source", "dc.source")


# -- alias table -----------------------------------------------------------------------------


def _alias_key(text: str) -> str:
    """Lookup key: folded, case-insensitive, spaces ignored ("China Daily" == "chinadaily")."""
    return _SPACES_RE.sub("", fold(text)).casefold()


def _bare_host(url_or_host: str) -> str:
    host = url_or_host.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host)
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


@dataclass(frozen=True)
class SourceAliases:
    """Variant spellings and domains -> one canonical outlet name.

    Kept as two plain dicts so a lookup is one hash probe; the loader guarantees that no
    variant maps to two names, which is what makes ``GROUP BY source`` counts trustworthy.
    """

    names: Mapping[str, str] = field(default_factory=dict)  # _alias_key(variant) -> name
    domains: Mapping[str, str] = field(default_factory=dict)  # bare host -> name

    def canonical(self, name: str) -> str | None:
        """The canonical outlet for a spelling, or None when the table does not know it."""
        return self.names.get(_alias_key(name))

    def by_host(self, host: str) -> str | None:
        """The outlet owning a host or any parent domain (news.x.com.cn -> x.com.cn)."""
        host = _bare_host(host)
        while host.count(".") >= 1:
            hit = self.domains.get(host)
            if hit is not None:
                return hit
            host = host.split(".", 1)[1]
        return None


EMPTY_ALIASES = SourceAliases()


def _domain_of(entry: str) -> str | None:
    m = _DOMAIN_RE.match(entry.strip().lower())
    return m.group(1) if m else None


def load_aliases(path: str | Path = DEFAULT_ALIASES_FILE) -> SourceAliases:
    """Read and validate the alias table.

    Every rejection is a ``ConfigError`` naming the entry and the fix, because the person who
    hits it is editing YAML.  An alias under two names is an error rather than "last one wins":
    silently moving a variant between outlets would quietly change historical counts.
    """
    data = load_yaml(path)
    if not isinstance(data, dict) or "outlets" not in data:
        raise ConfigError(
            path,
            "outlets",
            "missing top-level 'outlets' mapping",
            "start the file with 'outlets:' followed by 'Name: [alias, domain, ...]' lines",
        )
    for key in data:
        if key != "outlets":
            raise ConfigError(
                path, str(key), "unknown top-level key", "remove it; only 'outlets' is read"
            )
    outlets = data["outlets"]
    if not isinstance(outlets, dict):
        raise ConfigError(
            path,
            "outlets",
            f"must be a mapping, got {type(outlets).__name__}",
            "write one 'Name: [alias, ...]' line per outlet under 'outlets:'",
        )
    names: dict[str, str] = {}
    domains: dict[str, str] = {}
    where: dict[str, str] = {}  # alias key -> YAML key that claimed it, for error messages

    def claim(table: dict[str, str], key: str, name: str, yaml_key: str, shown: str) -> None:
        owner = table.get(key)
        if owner is not None and owner != name:
            raise ConfigError(
                path,
                yaml_key,
                f"{shown!r} is already listed under {owner!r} ({where[key]})",
                "keep each alias or domain under exactly one outlet name",
            )
        table[key] = name
        where.setdefault(key, yaml_key)

    for name, entries in outlets.items():
        yaml_key = f"outlets[{name}]"
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                path,
                yaml_key,
                "outlet name must be a non-empty string",
                "quote the name, e.g. '\"21世纪经济报道\": [...]'",
            )
        name = name.strip()
        claim(names, _alias_key(name), name, yaml_key, name)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ConfigError(
                path,
                yaml_key,
                f"aliases must be a list, got {type(entries).__name__}",
                f"write it as '{name}: [alias1, alias2, domain.com]'",
            )
        for i, entry in enumerate(entries):
            entry_key = f"{yaml_key}[{i}]"
            if not isinstance(entry, str) or not entry.strip():
                raise ConfigError(
                    path,
                    entry_key,
                    f"alias must be a non-empty string, got {entry!r}",
                    "quote the alias (YAML reads yes/no/on/off and numbers as non-strings)",
                )
            domain = _domain_of(entry)
            if domain is not None:
                claim(domains, "@" + domain, name, entry_key, entry)
            else:
                claim(names, _alias_key(entry), name, entry_key, entry)
    return SourceAliases(names=names, domains={k[1:]: v for k, v in domains.items()})


@functools.lru_cache(maxsize=8)
def _aliases_cached(resolved: str) -> SourceAliases:
    return load_aliases(resolved)


def aliases_for(path: str | Path = DEFAULT_ALIASES_FILE) -> SourceAliases:
    """The alias table for ``path``, read once per process (errors are not cached)."""
    return _aliases_cached(str(Path(path).resolve()))


# -- value parsing ---------------------------------------------------------------------------


def _prepare(text: str) -> str:
    """Fold, and turn ``<a href=U>T</a>`` into ``T U`` so the link survives tag stripping."""
    if "&" in text:
        text = html.unescape(text)
    text = fold(text)
    if "<" in text:
        text = _ANCHOR_RE.sub(lambda m: f" {m.group(2)} {m.group(1)} ", text)
        text = _TAG_RE.sub(" ", text)
    return text


def _absolute(url: str) -> str:
    url = url.rstrip(".:")
    return url if re.match(r"^https?://", url, re.IGNORECASE) else "http://" + url


_MARKUP_RE = re.compile(r'[=<>{}"]')


def _resolve(value: str, aliases: SourceAliases) -> tuple[str | None, str | None, str]:
    """Clean one 来源 value (already folded) -> (name, url, status).

    status: ``outlet`` (a name was found), ``own`` (本站/原创...), ``empty`` (nothing after
    the label) or ``junk`` (too long to be a name, e.g. a sentence).
    """
    url = None
    m = _URL_RE.search(value)
    if m:
        url = _absolute(m.group(0))
        value = _URL_RE.sub(" ", value)
    value = _LEAD_WRAP_RE.sub("", value)
    value = _SOURCE_CUT_RE.split(value, maxsplit=1)[0].strip(_WRAP_CHARS)
    value = _ACCOUNT_PREFIX_RE.sub("", value).strip(_WRAP_CHARS)
    if " " in value:
        first = value.split()[0]
        # "中国电力报 张三": a Chinese name is the first token; "China Daily" keeps its space
        value = first if _HAS_CJK_RE.search(first) else _SPACES_RE.sub(" ", value)
    if not _HAS_WORD_RE.search(value):
        value = ""
    if len(value) > _NAME_MAX or _MARKUP_RE.search(value):
        # Too long for a name, or template markup left in the text ('来源： size="20"').
        return None, url, "junk"
    if value:
        if _OWN_RE.match(value):
            return None, url, "own"
        if len(value) > 2 and value.endswith("原创"):  # "中国工控网原创"
            value = value[:-2]
        domain = _domain_of(value)
        if domain is not None:
            return aliases.by_host(domain) or domain, url, "outlet"
        name = aliases.canonical(value)
        if name is None and url is not None:
            name = aliases.by_host(url)  # unknown spelling, known site: group by the site
        return name or value, url, "outlet"
    if url is not None:
        host = _bare_host(url)
        return aliases.by_host(host) or host, url, "outlet"
    return None, None, "empty"


def _clean_person(value: str) -> str | None:
    value = _LEAD_WRAP_RE.sub("", value)
    value = _PERSON_CUT_RE.split(value, maxsplit=1)[0].strip(_WRAP_CHARS)
    value = _SPACES_RE.sub(" ", value)
    if value.endswith("报道"):
        value = value[:-2].strip(_WRAP_CHARS)
    if not _HAS_WORD_RE.search(value) or len(value) > _PERSON_MAX or _MARKUP_RE.search(value):
        return None
    return value


def normalize_source(
    raw: str, aliases: SourceAliases | None = None
) -> tuple[str | None, str | None]:
    """Raw 来源 text -> (canonical outlet name, URL).

    Accepts the bare value (``中国电力报 2024-03-11``) or a whole labelled line
    (``【来源：经济日报】``).  The name is None when the text names no outside outlet --
    empty, ``本站原创``, ``本网`` -- because only the caller knows which portal "本站" is.
    """
    aliases = aliases or EMPTY_ALIASES
    text = _prepare(raw)
    stripped = _LEAD_WRAP_RE.sub("", text)
    m = _FIELD_RE.search(stripped)
    if m and m.lastgroup == "src" and not stripped[: m.start()].strip(_WRAP_CHARS):
        nxt = _FIELD_RE.search(stripped, m.end())
        value = stripped[m.end() : nxt.start() if nxt else len(stripped)]
    elif m:
        value = stripped[: m.start()]
    else:
        value = stripped
    name, url, _status = _resolve(value, aliases)
    return name, url


# -- evidence collection ---------------------------------------------------------------------


@dataclass
class _Claim:
    name: str | None  # None: the text points at the portal itself (本站, 原创, empty 来源)
    url: str | None
    where: str


@dataclass
class _Evidence:
    claims: list[_Claim] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    editors: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)


def _scan(text: str, where: str, aliases: SourceAliases, ev: _Evidence) -> None:
    """Segment labelled text ("label -> text up to the next label") into evidence."""
    text = _prepare(text)
    for line in text.split("\n"):
        matches = list(_FIELD_RE.finditer(line))
        for i, m in enumerate(matches):
            kind = m.lastgroup
            if kind in ("junk", "stop"):
                continue
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            value = line[m.end() : end]
            if kind == "src":
                name, url, status = _resolve(value, aliases)
                if status != "junk":
                    ev.claims.append(_Claim(name, url, where))
            elif kind == "auth":
                person = _clean_person(value)
                if person:
                    ev.authors.append(person)
            elif kind == "edit":
                person = _clean_person(value)
                if person:
                    ev.editors.add(person)
            elif kind == "url":
                u = _URL_RE.search(value)
                if u:
                    ev.urls.append(_absolute(u.group(0)))


def _scan_lead(line: str, aliases: SourceAliases, ev: _Evidence) -> None:
    """'XX网讯' / 'XX社<地><日>电' / '本报讯（记者 张三）' at the start of the first paragraph."""
    m = _LEAD_RE.match(line)
    if not m:
        return
    who = m.group("who").lstrip("([【 ")
    if len(who) < 3 and who not in _UNKNOWN_LEADS | _OWN_LEADS:
        return
    if who in _OWN_LEADS:
        ev.claims.append(_Claim(None, None, "lead"))
    elif who not in _UNKNOWN_LEADS:
        name, url, status = _resolve(who, aliases)
        if status == "outlet":
            ev.claims.append(_Claim(name, url, "lead"))
    b = _LEAD_BYLINE_RE.match(line, m.end())
    if b:
        inner = _Evidence()
        _scan(b.group(1), "lead", aliases, inner)
        ev.authors.extend(inner.authors)


def _head_tail(lines: list[str]) -> tuple[list[int], list[int]]:
    """Indexes of the first two and last two non-empty lines, without walking the middle."""
    head: list[int] = []
    for i, line in enumerate(lines):
        if line.strip():
            head.append(i)
            if len(head) == 2:
                break
    tail: list[int] = []
    for i in range(len(lines) - 1, -1, -1):
        if len(tail) == 2 or i in head:
            break
        if lines[i].strip():
            tail.append(i)
    return head, tail


# -- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    """What the pipeline writes back onto the item.

    ``source_from`` says which evidence decided (``byline``, ``footer``, ``body``, ``lead``,
    ``meta``, ``site_name`` or ``portal``) so that stats and the extraction eval can tell a
    weak default apart from an explicit line.
    """

    source: str | None
    source_url: str | None
    is_reprint: bool
    author: str | None
    body: str
    source_from: str = "portal"


def _same_person(a: str, b: str | None, aliases: SourceAliases) -> bool:
    if not b:
        return False
    return a == b or (aliases.canonical(a) or a) == (aliases.canonical(b) or b)


def _pick_author(
    item_author: str | None,
    candidates: Iterable[str],
    editors: set[str],
    not_people: set[str],
    aliases: SourceAliases,
) -> str | None:
    """Keep the extraction's author unless it is really an editor or the outlet's name."""

    def acceptable(person: str) -> bool:
        return person not in editors and not any(
            _same_person(person, x, aliases) for x in not_people
        )

    if item_author and item_author.strip():
        raw = item_author.strip()
        folded = _LEAD_WRAP_RE.sub("", _prepare(raw))
        m = _FIELD_RE.match(folded)
        person: str | None = raw
        if m and m.lastgroup == "edit":
            person = None  # "责任编辑：王五" was mis-extracted as the author
        elif m and m.lastgroup == "auth":
            person = _clean_person(folded[m.end() :])
        if person and acceptable(person) and not _OWN_RE.match(person):
            return person
    for person in candidates:
        if acceptable(person) and not _OWN_RE.match(person):
            return person
    return None


def attribute(
    byline_text: str | None,
    footer_text: str | None,
    body: str | None,
    meta: Mapping[str, str] | None,
    portal_name: str | None,
    aliases: SourceAliases | None = None,
    author: str | None = None,
    hint: str | None = None,
) -> Attribution:
    """Decide source, source_url, is_reprint and author for one article.

    ``hint`` is extraction's own reading of the outlet (``Extracted.source_hint``), made with
    the page's layout in view (which span is the 来源 field, where the dateline ends); on real
    pages it is right more often than these line rules alone (94 % against 63 % on the
    real-page dev set), so it ranks first, and the rules below decide when it is absent.

    Precedence: 来源 in the byline > 来源 lines in the footer (then in the body's first/last
    lines, where extraction sometimes leaves them) > a lead 'XX讯/电' > ``<meta name=source>``
    > the portal itself.  When two lines disagree the byline wins: it is the CMS's per-article
    source field, whereas footer text is pasted along with the body and often carries the
    previous hop of a reprint chain or site-wide boilerplate.

    One exception, deliberately: a claim that names the portal itself (``来源：本站``, an
    empty 来源, the portal's own name) never hides an outside outlet named by lower-ranked
    evidence.  CMSes pre-fill the byline source with the site's name; the footer
    ``信息来源于:中国石化新闻网`` on such a page is the editor's real statement.

    ``og:site_name`` names the site serving the page, never an original, so it can only ever
    confirm "the portal itself".
    """
    aliases = aliases or EMPTY_ALIASES
    meta = meta or {}
    body = body or ""

    hint_ev, byline, footer, head_ev, tail_ev, lead_ev, meta_ev = (
        _Evidence() for _ in range(7)
    )
    if hint and hint.strip():
        name, url, status = _resolve(_prepare(hint), aliases)
        if status in ("outlet", "own"):
            hint_ev.claims.append(_Claim(name, url, "extraction"))
    if byline_text:
        _scan(byline_text, "byline", aliases, byline)
    if footer_text:
        _scan(footer_text, "footer", aliases, footer)

    lines = body.split("\n")
    head, tail = _head_tail(lines)
    drop: dict[int, str] = {}
    for i in (*head, *tail):
        stripped = lines[i].strip()
        if len(stripped) <= _BODY_LINE_MAX:
            folded = fold(stripped)
            if _BODY_CREDIT_RE.match(folded):
                drop[i] = folded
    # A credit line above the first paragraph is a missed dateline; one below it is a missed
    # footer (on a two-line body the "first two lines" already include the last one).
    first_text = next(
        (i for i, line in enumerate(lines) if i not in drop and line.strip()), len(lines)
    )
    for i, folded in sorted(drop.items()):
        _scan(folded, "body", aliases, head_ev if i < first_text else tail_ev)
    if first_text < len(lines):
        _scan_lead(fold(lines[first_text].lstrip()[:_LEAD_PREFIX]), aliases, lead_ev)

    for key in _META_SOURCE_KEYS:
        value = meta.get(key)
        if value and value.strip():
            name, url, status = _resolve(_prepare(value), aliases)
            if status in ("outlet", "own"):
                meta_ev.claims.append(_Claim(name, url, "meta"))
            break

    tiers = (hint_ev, byline, head_ev, footer, tail_ev, lead_ev, meta_ev)
    own_names = {n for n in (portal_name, aliases.canonical(portal_name or "")) if n}
    claims = [c for ev in tiers for c in ev.claims]
    chosen = next((c for c in claims if c.name and c.name not in own_names), None)

    if chosen is not None:
        source, url, is_reprint, where = chosen.name, chosen.url, True, chosen.where
        if url is None:  # a lower-ranked line may carry the same outlet's link
            url = next((c.url for c in claims if c.name == source and c.url), None)
        if url is None:
            for u in (u for ev in tiers for u in ev.urls):
                if aliases.by_host(u) in (None, source):
                    url = u
                    break
    else:
        own = next((c for c in claims), None)
        source, is_reprint = portal_name, False
        url = own.url if own else None
        if own is not None:
            where = own.where
        elif (meta.get("og:site_name") or "").strip():
            where = "site_name"
        else:
            where = "portal"

    editors = set().union(*(ev.editors for ev in tiers))
    candidates = [a for ev in (byline, head_ev, footer, tail_ev, lead_ev) for a in ev.authors]
    meta_author = meta.get("author")
    # <meta name=author> on Chinese portals is often the CMS or its vendor ("Discuz! Team");
    # only a name with Chinese characters is taken for a writer.
    if meta_author and _HAS_CJK_RE.search(meta_author):
        cleaned = _clean_person(_prepare(meta_author))
        if cleaned:
            candidates.append(cleaned)
    not_people = {n for n in (source, portal_name) if n} | own_names
    final_author = _pick_author(author, candidates, editors, not_people, aliases)

    if drop:
        body = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
    return Attribution(source, url, is_reprint, final_author, body, where)


# -- Scrapy component ------------------------------------------------------------------------


class AttributionPipeline:
    """Writes source/source_url/is_reprint/author/body on each item.

    The alias table is read in ``from_crawler`` through a per-process cache, so a process that
    runs several crawlers (or a test suite) parses the YAML once.
    """

    def __init__(self, aliases: SourceAliases, stats: Any = None) -> None:
        self.aliases = aliases
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> AttributionPipeline:
        settings = crawler.settings
        if not settings.getbool("ATTRIBUTION_ENABLED", True):
            raise NotConfigured("attribution disabled by ATTRIBUTION_ENABLED=False")
        path = settings.get("ATTRIBUTION_ALIASES_FILE") or DEFAULT_ALIASES_FILE
        return cls(aliases_for(path), crawler.stats)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        result = attribute(
            adapter.get("byline_text"),
            adapter.get("footer_text"),
            adapter.get("body"),
            adapter.get("meta"),
            adapter.get("portal_name"),
            self.aliases,
            author=adapter.get("author"),
            hint=adapter.get("source_hint"),
        )
        adapter["source"] = result.source
        adapter["source_url"] = result.source_url
        adapter["is_reprint"] = result.is_reprint
        adapter["author"] = result.author
        adapter["body"] = result.body
        if self.stats is not None:
            kind = "reprint" if result.is_reprint else "original"
            self.stats.inc_value(f"attribution/{kind}")
            self.stats.inc_value(f"attribution/source_from/{result.source_from}")
        return item
