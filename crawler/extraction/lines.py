"""Flatten the page into visual lines, each tied to the element it came from.

Block elements and ``<br>`` end a line, as a browser would render them. Working on lines lets
the byline, body and footer steps use simple patterns, while the element index of every line
keeps the link back to the scored region of the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extraction.dom import INLINE_TAGS, Document, text_of

_SMALL_CELL = 120
# Private-use characters are icon-font glyphs (arrows, share icons): never article text.
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff\ue000-\uf8ff]+")


@dataclass
class Line:
    """One rendered line: its text, the element it starts in, and how much of it is link."""

    text: str
    node: int
    link_chars: int

    @property
    def link_ratio(self) -> float:
        return self.link_chars / max(1, len(self.text.replace(" ", "")))


def build_lines(doc: Document) -> list[Line]:
    """Render the body into lines in one pass, element indices counted in pre-order
    (the order :func:`crawler.extraction.dom.measure` numbered them in)."""
    body = doc.root.find("body")
    start = body if body is not None else doc.root
    lines: list[Line] = []
    parts: list[str] = []
    state = [-1, 0, doc.index.get(start, 0)]  # line's first node, link chars, next index
    sizes, link_sizes, links, ends = doc.text, doc.link, doc.links, doc.end

    def add(text: str, node: int, in_link: bool) -> None:
        if text.isspace():
            if parts:
                parts.append(" ")
            return
        if not parts:
            state[0] = node
        parts.append(text)
        if in_link:
            state[1] += len("".join(text.split()))

    def newline() -> None:
        if parts:
            text = _WS.sub(" ", "".join(parts)).strip()
            if text:
                lines.append(Line(text, state[0], state[1]))
            parts.clear()
        state[1] = 0

    # Iterative depth-first walk: unclosed <font> tags on old pages nest thousands deep, past
    # Python's recursion limit. A ``None`` entry closes an element and adds its tail text.
    stack: list[tuple] = [(start, False, -1, False)]
    while stack:
        item = stack.pop()
        if item[0] is None:
            _, element, block, parent_index, parent_link = item
            if block and parts:
                newline()
            if element.tail and parent_index >= 0:
                add(element.tail, parent_index, parent_link)
            continue
        element, in_link, parent_index, parent_link = item
        tag = element.tag
        if not isinstance(tag, str):
            stack.append((None, element, False, parent_index, parent_link))
            continue
        index = state[2]
        size = sizes[index]
        if not size and tag != "br":  # nothing visible below: skip the whole subtree
            state[2] = ends[index] + 1
            stack.append((None, element, False, parent_index, parent_link))
            continue
        if links[index] >= 2 and link_sizes[index] == size and tag not in INLINE_TAGS:
            # A menu or headline list (all of its text is links): one line, no per-link walk.
            if parts:
                newline()
            text = text_of(element)
            lines.append(Line(text, index, size))
            state[2] = ends[index] + 1
            stack.append((None, element, False, parent_index, parent_link))
            continue
        state[2] += 1
        # Small cells of one row read as one line (``2005-01-14 | 来源: X``); a big layout
        # cell holding the article starts its own line, not glued to the menu beside it.
        cell = (tag == "td" or tag == "th") and size <= _SMALL_CELL
        block = not cell and tag not in INLINE_TAGS
        if block:
            if parts:
                newline()
        elif cell:
            add(" ", index, in_link)
        link = in_link or tag == "a"
        if element.text:
            add(element.text, index, link)
        stack.append((None, element, block, parent_index, parent_link))
        stack.extend((child, link, index, in_link) for child in reversed(element))

    newline()
    return lines
