"""Find the article's region of the page and turn it into clean paragraphs.

Readability-style scoring: every text block with enough own, non-link text votes for its
container (and half a vote for the container's parent); the container with the best vote times
(1 - link density) wins, then its siblings that also carry article text join it, so an article
split over several ``<div>``/``<p>`` blocks or table cells comes out complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extraction.boilerplate import is_stop
from crawler.extraction.dom import INLINE_TAGS, PARAGRAPH_TAGS, Document, inner_text
from crawler.extraction.lines import Line

_MIN_PARAGRAPH = 20
_HEADLINE_MIN, _HEADLINE_MAX = 6, 60
_TEASER_MAX = 160
# Dropped headings that end the article (comments, disclaimers, pager). A dropped link box's
# heading (推荐阅读) may sit mid-article: its links are gone already, so it marks nothing.
_ENDS_ARTICLE = re.compile(r"评论|留言|声明|版权|copyright|上一篇|下一篇|上一页|下一页", re.I)
_ENDS_SENTENCE = re.compile(r"[。！？!?.…”」]\s*$")
_NOISE_ATTR = re.compile(
    r"comment|share|related|relate|recommend|footer|copyright|breadcrumb|crumb|\bnav|menu"
    r"|sidebar|side_bar|\bhot|rank|pager|pagination|toolbar|login|advert|\bads?\b|banner"
    r"|reply|\btags?\b|bdshare|jiathis|print|guanggao|xgxw|xgyd|tuijian",
    re.I,
)


@dataclass
class Region:
    """The winning element(s): pre-order indices in :class:`Document`."""

    nodes: list[int]
    score: float


def _vote(doc: Document) -> dict[int, float]:
    scores: dict[int, float] = {}
    tags, parents = doc.tags, doc.parent
    for i, (own, own_link) in enumerate(zip(doc.own, doc.own_link, strict=True)):
        plain = own - own_link
        if plain < _MIN_PARAGRAPH or own_link > plain:
            continue
        value = 1 + doc.own_punct[i] + min(plain / 100, 3)
        tag = tags[i]
        container = parents[i] if (tag in PARAGRAPH_TAGS or tag in INLINE_TAGS) else i
        while container >= 0 and tags[container] in INLINE_TAGS:
            container = parents[container]
        if container < 0:
            continue
        scores[container] = scores.get(container, 0.0) + value
        parent = parents[container]
        if parent >= 0:
            scores[parent] = scores.get(parent, 0.0) + value / 2
    return scores


def _link_density(doc: Document, i: int) -> float:
    text = doc.text[i]
    return doc.link[i] / text if text else 1.0


def find_region(doc: Document) -> Region | None:
    scores = _vote(doc)
    if not scores:
        return None
    final = {i: s * (1 - _link_density(doc, i)) for i, s in scores.items()}
    best = max(final, key=final.__getitem__)
    return Region(_with_siblings(doc, best, final), final[best])


def _with_siblings(doc: Document, best: int, final: dict[int, float]) -> list[int]:
    parent = doc.parent[best]
    if parent < 0:
        return [best]
    threshold = max(10.0, final[best] * 0.2)
    siblings = [doc.index[c] for c in doc.elements[parent] if c in doc.index]
    chosen = [s for s in siblings if s == best or _joins(doc, s, final, threshold)]
    first, last = siblings.index(chosen[0]), siblings.index(chosen[-1])
    return [s for s in siblings[first : last + 1] if s in chosen or _link_density(doc, s) < 0.3]


def _joins(doc: Document, i: int, final: dict[int, float], threshold: float) -> bool:
    if final.get(i, 0.0) >= threshold:
        return True
    element, text = doc.elements[i], doc.text[i]
    plain = text - doc.link[i]
    if _link_density(doc, i) >= 0.25:
        return False
    # A paragraph-like sibling: a <p>, a block that holds its text itself (one <div> per
    # paragraph, as government and CMS pages do), or a block made only of paragraphs (an
    # article split over two <div>s by the CMS template); long or ending like a sentence.
    text_block = (
        element.tag in PARAGRAPH_TAGS
        or element.tag in INLINE_TAGS
        or (doc.own[i] >= 0.8 * text)
        or (
            len(element) > 0
            and all(c.tag in PARAGRAPH_TAGS or c.tag in INLINE_TAGS for c in element)
        )
    )
    if not text_block:
        return False
    return plain >= 40 or (
        plain >= 4
        and doc.own_punct[i] > 0
        and _ENDS_SENTENCE.search(inner_text(element)) is not None
    )


def _noise_spans(doc: Document, region: Region) -> list[tuple[int, int]]:
    spans = []
    for top in region.nodes:
        i = top + 1
        while i <= doc.end[top]:
            if _is_noise(doc, i):
                spans.append((i, doc.end[i]))
                i = doc.end[i] + 1
            else:
                i += 1
    return spans


def _is_noise(doc: Document, i: int) -> bool:
    element = doc.elements[i]
    if element.tag in INLINE_TAGS and element.tag != "a":
        return False
    attrs = f"{element.get('class', '')} {element.get('id', '')}"
    if attrs.strip() and _NOISE_ATTR.search(attrs) and doc.punct[i] < 20:
        return True
    return doc.links[i] >= 3 and doc.link[i] > 0.6 * doc.text[i] and element.tag != "a"


def region_lines(doc: Document, region: Region, lines: list[Line]) -> list[int]:
    """Indices of the lines rendered from the region, minus nested noise and link lines."""
    blocked = bytearray(len(doc.elements))
    for a, b in _noise_spans(doc, region):
        blocked[a : b + 1] = b"\x01" * (b - a + 1)
    spans = [(top, doc.end[top]) for top in region.nodes]
    picked = []
    for k, line in enumerate(lines):
        if not any(a <= line.node <= b for a, b in spans):
            continue
        if blocked[line.node]:
            # Keep a dropped "发表评论"/"相关新闻" heading: it tells trimming where junk starts.
            if picked and is_stop(line.text) and _ENDS_ARTICLE.search(line.text):
                picked.append(k)
            continue
        if line.link_ratio > 0.5:
            continue
        picked.append(k)
    return picked


def headline_items(doc: Document, region: Region, lines: list[Line]) -> tuple[int, int]:
    """(teaser items, prose lines) of the region.

    A teaser item is a headline link line followed by a short prose line: a list with
    summaries (``<h3><a>标题</a></h3><p>摘要</p>`` × N) is made of them; an article's prose
    mostly is not.
    """
    spans = [(top, doc.end[top]) for top in region.nodes]
    items = prose = 0
    previous_link = False
    for line in lines:
        if not any(a <= line.node <= b for a, b in spans):
            continue
        is_link = line.link_ratio > 0.5 and _HEADLINE_MIN <= len(line.text) <= _HEADLINE_MAX
        if not is_link and line.link_ratio < 0.2 and len(line.text) >= _HEADLINE_MIN:
            prose += 1
            if previous_link and len(line.text) <= _TEASER_MAX:
                items += 1
        previous_link = is_link
    return items, prose
