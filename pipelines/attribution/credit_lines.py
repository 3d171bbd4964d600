"""Credit lines -> claims: pure parsing, no ranking.

Each piece of evidence (the byline block, the footer, a body line, the lead, a meta tag) is
scanned into an :class:`Evidence`: the outlets it names as the source, the writers, the
contributors and photographers it credits, the editors it names (so that they are never taken
for writers) and any "original link" URL.  :mod:`.decide` ranks the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.attribution import writers
from pipelines.attribution.aliases import EMPTY_ALIASES, SourceAliases, bare_host, domain_of
from pipelines.attribution.labels import FIELD_RE, NO_VALUE, OWN_SOURCE
from pipelines.attribution.text import CJK, DATE, TIME, prepare

__all__ = [
    "Claim",
    "Evidence",
    "normalize_source",
    "resolve",
    "scan",
    "scan_bare_outlet",
    "scan_edition",
    "scan_lead",
    "scan_wire_lead",
    "source_value",
]

_WRAP_CHARS = " \t\u3000\"'“”‘’《》「」『』()[]【】<>:·*#~-—–_./\\|丨,;。、!?"
# Also closing brackets: "[来源]科技日报" leaves "]科技日报" after the label.
_LEAD_WRAP_RE = re.compile(r"^[\s(\[【<《「『“\"'—\-–·*#)\]】>》」』”]+")
_URL_RE = re.compile(
    r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&*+=%]+"
    r"|(?<![\w@.])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|gov|edu|cc|tv|io)"
    r"(?:\.cn)?/[A-Za-z0-9\-._~:/?#@!$&*+=%]*",
    re.IGNORECASE,
)
_SOURCE_CUT_RE = re.compile(rf"[|丨,;。、!?()\[\]【】<>{{}}]|—|--|\s{{2,}}|\s+-\s+|{DATE}|{TIME}")
_QUOTED_RE = re.compile(r"《([^》]{2,20})》")
_ACCOUNT_PREFIX_RE = re.compile(
    r"^(?:微信公众号|微信公号|公众号|微信号|微信|官方微博|微博|头条号)\s*:?\s*"
)
_HAS_WORD_RE = re.compile(rf"[{CJK}A-Za-z]")
_HAS_CJK_RE = re.compile(rf"[{CJK}]")
_MARKUP_RE = re.compile(r'[=<>{}"]')
_SPACES_RE = re.compile(r"\s+")
_NAME_MAX = 40

# Lead forms: "中国电力新闻网讯", "本报讯（记者 张三）", "新华社北京3月5日电", "央视网消息",
# and the wire-style "【看中国2005年07月03日报道】".
_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_LEAD_RE = re.compile(
    rf"^[\s(\[【]*(?P<who>[{CJK}A-Za-z0-9]{{1,14}}?"
    r"(?:网|社|报|台|刊|站|客户端|科技|财经|新闻|在线|频道))"
    rf"(?:[{CJK}]{{0,8}}?{_NUM}月{_NUM}日)?\s*(?P<kind>讯|电|消息)"
)
_WIRE_LEAD_RE = re.compile(
    rf"^\s*[【\[(]\s*(?P<who>[{CJK}]{{2,10}}?)\s*\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
    r"\s*(?:报道|电|讯)\s*[】\])]"
)
_LEAD_BYLINE_RE = re.compile(r"\s*\(\s*([^()]{1,40})\)")
_UNKNOWN_LEADS = frozenset({"本报", "本刊"})  # the newspaper is not named: no evidence
_OWN_LEADS = frozenset({"本网", "本站"})
_OUTLET_SUFFIX = (
    r"(?:日报|晚报|晨报|早报|时报|商报|信报|周报|周刊|月刊|杂志|新闻网|在线|频道|客户端|电视台"
    r"|广播电台|通讯社|[报网刊社台])"
)
# "2005年03月21日 11:21 《理财周刊》": an outlet printed right after the time, unlabelled.
_BARE_OUTLET_RE = re.compile(
    rf"(?:{DATE})\s*(?:{TIME})?[\s|丨]*《?(?P<who>[{CJK}\w]{{1,14}}?{_OUTLET_SUFFIX})》?(?:\s|$)"
)
# Footer edition line: "《光明日报》( 2022年02月13日 02版)".
_EDITION_RE = re.compile(r"^[\s(]*《(?P<who>[^》]{2,16})》\s*\(?\s*\d{4}\s*年")


@dataclass
class Claim:
    """One statement of where the article comes from.

    ``name`` None: the text points at the portal itself (本站, 原创, an empty 来源).
    """

    name: str | None
    url: str | None
    where: str


@dataclass
class Evidence:
    """Everything one piece of evidence says, unranked."""

    claims: list[Claim] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    editors: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)


def absolute(url: str) -> str:
    url = url.rstrip(".:")
    return url if re.match(r"^https?://", url, re.IGNORECASE) else "http://" + url


def resolve(value: str, aliases: SourceAliases) -> tuple[str | None, str | None, str]:
    """Clean one 来源 value (already folded) -> (name, url, status).

    status: ``outlet`` (a name was found), ``own`` (本站/原创/未知... : the portal itself),
    ``empty`` (nothing after the label) or ``junk`` (too long to be a name, e.g. a sentence).
    """
    url = None
    m = _URL_RE.search(value)
    if m:
        url = absolute(m.group(0))
        value = _URL_RE.sub(" ", value)
    quoted = _QUOTED_RE.match(value.strip())
    if quoted:  # 《电气传动》杂志 -> 电气传动
        value = quoted.group(1)
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
        if OWN_SOURCE.match(value) or value.casefold() in NO_VALUE:
            return None, url, "own"
        if len(value) > 2 and value.endswith("原创"):  # "中国工控网原创"
            value = value[:-2]
        domain = domain_of(value)
        if domain is not None:
            return aliases.by_host(domain) or domain, url, "outlet"
        name = aliases.canonical(value)
        if name is None and url is not None:
            name = aliases.by_host(url)  # unknown spelling, known site: group by the site
        return name or value, url, "outlet"
    if url is not None:
        host = bare_host(url)
        return aliases.by_host(host) or host, url, "outlet"
    return None, None, "empty"


def scan(text: str, where: str, aliases: SourceAliases, ev: Evidence | None = None) -> Evidence:
    """Segment labelled text ("label -> text up to the next label") into evidence."""
    ev = ev if ev is not None else Evidence()
    for line in prepare(text).split("\n"):
        matches = list(FIELD_RE.finditer(line))
        for i, m in enumerate(matches):
            kind = m.lastgroup
            if kind in ("junk", "stop"):
                continue
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            value = line[m.end() : end]
            if kind == "src":
                name, url, status = resolve(value, aliases)
                if status != "junk":
                    ev.claims.append(Claim(name, url, where))
            elif kind == "url":
                u = _URL_RE.search(value)
                if u:
                    ev.urls.append(absolute(u.group(0)))
            elif kind == "edit":
                ev.editors.update(writers.names(value))
            else:
                if kind == "contrib":  # an organisation: "供稿：国网山东电力公司"
                    found, target = writers.names(value, org=True), ev.contributors
                else:
                    found = writers.names(value)
                    target = ev.writers if kind == "auth" else ev.photographers
                target.extend(n for n in found if n not in target)
        if not matches or all(m.lastgroup != "auth" for m in matches):
            ev.writers.extend(n for n in writers.unlabelled_writers(line) if n not in ev.writers)
    return ev


def scan_bare_outlet(text: str, where: str, aliases: SourceAliases, ev: Evidence) -> None:
    """An outlet printed right after the dateline's time without a label."""
    _first_outlet(text, _BARE_OUTLET_RE.search, where, aliases, ev)


def scan_edition(text: str, where: str, aliases: SourceAliases, ev: Evidence) -> None:
    """A newspaper edition line in the footer (``《光明日报》( 2022年02月13日 02版)``)."""
    _first_outlet(text, _EDITION_RE.match, where, aliases, ev)


def _first_outlet(text: str, find: Callable[[str], re.Match[str] | None], where: str,
                  aliases: SourceAliases, ev: Evidence) -> None:
    """The claim of the first line where ``find`` names an outlet (group ``who``)."""
    for line in prepare(text).split("\n"):
        m = find(line)
        if m:
            name, url, status = resolve(m.group("who"), aliases)
            if status == "outlet":
                ev.claims.append(Claim(name, url, where))
                return


def scan_wire_lead(lines: list[str], aliases: SourceAliases, ev: Evidence) -> None:
    """``【看中国2005年07月03日报道】`` opening one of the first paragraphs."""
    for line in lines:
        wire = _WIRE_LEAD_RE.match(prepare(line))
        if wire:
            name, url, status = resolve(wire.group("who"), aliases)
            if status == "outlet":
                ev.claims.append(Claim(name, url, "lead"))
            return


def scan_lead(line: str, aliases: SourceAliases, ev: Evidence) -> None:
    """'XX网讯' / 'XX社<地><日>电' / '本报讯（记者 张三）' at the start of the first paragraph."""
    line = prepare(line)
    m = _LEAD_RE.match(line)
    if not m:
        return
    who = m.group("who").lstrip("([【 ")
    if len(who) < 3 and who not in _UNKNOWN_LEADS | _OWN_LEADS:
        return
    if who in _OWN_LEADS:
        ev.claims.append(Claim(None, None, "lead"))
    elif who not in _UNKNOWN_LEADS:
        name, url, status = resolve(who, aliases)
        if status == "outlet":
            ev.claims.append(Claim(name, url, "lead"))
    b = _LEAD_BYLINE_RE.match(line, m.end())
    if b:
        inner = scan(b.group(1), "lead", aliases)
        ev.writers.extend(inner.writers)


def normalize_source(
    raw: str, aliases: SourceAliases | None = None
) -> tuple[str | None, str | None]:
    """Raw 来源 text -> (canonical outlet name, URL).

    Accepts the bare value (``中国电力报 2024-03-11``) or a whole labelled line
    (``【来源：经济日报】``).  The name is None when the text names no outside outlet --
    empty, ``本站原创``, ``本网`` -- because only the caller knows which portal "本站" is.
    """
    name, url, _status = resolve(source_value(raw), aliases or EMPTY_ALIASES)
    return name, url


def source_value(raw: str) -> str:
    """The outlet part of a bare value or of one whole ``来源:X`` line (folded)."""
    text = _LEAD_WRAP_RE.sub("", prepare(raw))
    m = FIELD_RE.search(text)
    if m and m.lastgroup == "src" and not text[: m.start()].strip(_WRAP_CHARS):
        nxt = FIELD_RE.search(text, m.end())
        return text[m.end() : nxt.start() if nxt else len(text)]
    return text[: m.start()] if m else text
