"""Evidence -> one Attribution: the only place that decides source, is_reprint and author.

Extraction hands over evidence only (the byline block, the footer, the body, the ``<meta>``
tags); :mod:`.credit_lines` turns each into claims; this module ranks them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipelines.attribution import writers
from pipelines.attribution.aliases import EMPTY_ALIASES, SourceAliases
from pipelines.attribution.credit_lines import (
    Claim,
    Evidence,
    resolve,
    scan,
    scan_bare_outlet,
    scan_edition,
    scan_lead,
    scan_wire_lead,
    source_value,
)
from pipelines.attribution.labels import BODY_CREDIT_RE, NO_VALUE
from pipelines.attribution.text import fold, prepare

__all__ = ["META_AUTHOR_KEYS", "META_SOURCE_KEYS", "Attribution", "attribute"]

META_SOURCE_KEYS = ("source", "contentsource", "article:source", "og:article:source", "dc.source")
META_AUTHOR_KEYS = ("author", "article:author", "og:article:author")

_BODY_LINE_MAX = 100
_LEAD_PREFIX = 80  # "新华社北京3月5日电（记者 张三、李四 通讯员 王五）" fits with room to spare
_SHORT_LINE = 40
_SENTENCE_RE = re.compile(r"[,。!?;]")
_OUTLETISH_RE = re.compile(r"网|报|社|公司|\.com|www|集团|中心|频道")
_DIGIT_RE = re.compile(r"\d")
_META_AUTHOR_MAX = 12


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


def _meta_claim(meta: Mapping[str, str], aliases: SourceAliases) -> Evidence:
    ev = Evidence()
    for key in META_SOURCE_KEYS:
        value = (meta.get(key) or "").strip()
        if value:
            name, url, status = resolve(source_value(value), aliases)
            if status in ("outlet", "own"):
                ev.claims.append(Claim(name, url, "meta"))
            break
    return ev


def _meta_author(meta: Mapping[str, str]) -> list[str]:
    """``<meta name=author>`` is often the CMS, its vendor or the site: a short name only."""
    value = next((meta[k] for k in META_AUTHOR_KEYS if (meta.get(k) or "").strip()), "")
    value = prepare(value).strip()
    if (
        not value
        or len(value) > _META_AUTHOR_MAX
        or _OUTLETISH_RE.search(value)
        or _DIGIT_RE.search(value)
    ):
        return []
    return writers.names(value)


def _body_writers(lines: list[str], aliases: SourceAliases) -> list[str]:
    """Writer labels in short, sentence-free body lines and the first line's bracket."""
    texts = [line for line in lines if len(line) <= _SHORT_LINE and not _SENTENCE_RE.search(line)]
    if lines and lines[0][:1] in "([【":
        texts.insert(0, lines[0][:_SHORT_LINE])
    if lines:
        texts.append(lines[-1][-30:])
    return scan("\n".join(texts), "body", aliases).writers if texts else []


def _pick_author(
    tiers: Iterable[list[str]], not_people: set[str], aliases: SourceAliases
) -> str | None:
    """All names of the first tier that names anybody, minus editors and outlets."""
    for tier in tiers:
        found = [
            n
            for n in dict.fromkeys(tier)
            if n not in not_people
            and n.casefold() not in NO_VALUE
            and (aliases.canonical(n) or n) not in not_people
        ]
        if found:
            return " ".join(found)
    return None


def attribute(
    byline_text: str | None,
    footer_text: str | None,
    body: str | None,
    meta: Mapping[str, str] | None,
    portal_name: str | None,
    aliases: SourceAliases | None = None,
) -> Attribution:
    """Decide source, source_url, is_reprint and author for one article.

    Source precedence: 来源 in the byline (then an outlet printed bare after its time) > 来源
    lines in the body's first lines > the footer (then an edition line 《X报》(日期 版)) > the
    body's last lines > a lead 'XX讯/电' > ``<meta name=source>`` > the portal itself.  When two
    lines disagree the byline wins: it is the CMS's per-article source field, whereas footer
    text is pasted along with the body and often carries the previous hop of a reprint chain.

    One exception, deliberately: a claim that names the portal itself (``来源：本站``, an
    empty 来源, 未知, the portal's own name) never hides an outside outlet named by
    lower-ranked evidence.  CMSes pre-fill the byline source with the site's name; the footer
    ``信息来源于:中国石化新闻网`` on such a page is the editor's real statement.

    Author precedence: writers labelled in the byline > writers labelled in the body's credit
    lines and footer > a contributor (供稿/出品方) > a name alone under the headline > names in
    brackets ending the story > ``<meta name=author>`` > a photographer.  Editors, the source
    and the portal are never the author.
    """
    aliases = aliases or EMPTY_ALIASES
    meta = meta or {}
    body = body or ""

    byline = scan(byline_text, "byline", aliases) if byline_text else Evidence()
    if byline_text:
        scan_bare_outlet(byline_text, "byline", aliases, byline)
    footer = scan(footer_text, "footer", aliases) if footer_text else Evidence()
    if footer_text:
        scan_edition(footer_text, "footer", aliases, footer)

    lines = body.split("\n")
    head, tail = _head_tail(lines)
    drop: dict[int, str] = {}
    for i in (*head, *tail):
        stripped = lines[i].strip()
        if len(stripped) <= _BODY_LINE_MAX:
            folded = fold(stripped)
            if BODY_CREDIT_RE.match(folded):
                drop[i] = folded
    # A credit line above the first paragraph is a missed dateline; one below it is a missed
    # footer (on a two-line body the "first two lines" already include the last one).
    first_text = next(
        (i for i, line in enumerate(lines) if i not in drop and line.strip()), len(lines)
    )
    head_ev, tail_ev, lead_ev = Evidence(), Evidence(), Evidence()
    for i, folded in sorted(drop.items()):
        scan(folded, "body", aliases, head_ev if i < first_text else tail_ev)
    if first_text < len(lines):
        scan_lead(lines[first_text].lstrip()[:_LEAD_PREFIX], aliases, lead_ev)
    kept = [line.strip() for i, line in enumerate(lines) if i not in drop and line.strip()]
    if not lead_ev.claims:
        scan_wire_lead([line[:_LEAD_PREFIX] for line in kept[:3]], aliases, lead_ev)
    meta_ev = _meta_claim(meta, aliases)

    tiers = (byline, head_ev, footer, tail_ev, lead_ev, meta_ev)
    own_names = {n for n in (portal_name, aliases.canonical(portal_name or "")) if n}
    claims = [c for ev in tiers for c in ev.claims]
    chosen = next((c for c in claims if c.name and c.name not in own_names), None)

    if chosen is not None:
        source, url, is_reprint, where = chosen.name, chosen.url, True, chosen.where
        if url is None:  # a lower-ranked line may carry the same outlet's link
            url = next((c.url for c in claims if c.name == source and c.url), None)
        if url is None:
            url = next(
                (u for ev in tiers for u in ev.urls if aliases.by_host(u) in (None, source)), None
            )
    else:
        own = next(iter(claims), None)
        source, is_reprint = portal_name, False
        url = own.url if own else None
        if own is not None:
            where = own.where
        elif (meta.get("og:site_name") or "").strip():
            where = "site_name"
        else:
            where = "portal"

    not_people = set().union(*(ev.editors for ev in tiers)) | own_names
    not_people |= {n for n in (source, portal_name) if n}
    everything = (byline, head_ev, footer, tail_ev, lead_ev)
    # One fold of the whole body, not one per line (a str.translate call per line cost more
    # than the folding); no folded character is a newline, so the lines stay the lines.
    folded = fold("\n".join(kept)).split("\n") if kept else []
    author = _pick_author(
        (
            byline.writers,
            head_ev.writers
            + lead_ev.writers
            + footer.writers
            + tail_ev.writers
            + _body_writers(folded, aliases),
            [n for ev in everything for n in ev.contributors],
            [n for n in map(writers.standalone_name, folded[:2]) if n],
            [n for n in [writers.trailing_names(folded[-1]) if folded else None] if n],
            _meta_author(meta),
            [n for ev in everything for n in ev.photographers],
        ),
        not_people,
        aliases,
    )

    if drop:
        body = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
    return Attribution(source, url, is_reprint, author, body, where)
