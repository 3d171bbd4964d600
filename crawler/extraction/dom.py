"""Parse a page once and measure every element in one bottom-up pass.

All later steps (body region, title, byline) read these numbers instead of re-walking the
tree, which keeps extraction of a 70 KB portal page within a few milliseconds.

A little over 300 lines on purpose: the link-list measuring is part of the same single
pass (it fills the same per-element numbers), and moving it out would mean a second walk.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field

from lxml import etree

# The plain etree parser: lxml.html's HtmlElement class lookup costs a Python call per element.
# huge_tree: without it libxml2 silently drops everything nested deeper than 256 levels.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, encoding="utf-8", huge_tree=True)
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "select",
    "option",
    "textarea",
    "button",
    "input",
    "object",
    "embed",
    "svg",
    "template",
)
# A CleanEval wrapper line or an XML declaration before <html> confuses the parser. Matched,
# not substituted: re.sub copies the whole page even when the prefix is empty (~70 µs a page).
_PREFIX = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?(?:<text\b[^>]*>)?", re.I)
# Sentence punctuation, counted with a regex: str.translate costs ~0.15 µs per CJK character.
_PUNCT = re.compile("[，。！？；：、,;!?]")

INLINE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "big",
        "cite",
        "code",
        "em",
        "font",
        "i",
        "img",
        "label",
        "q",
        "s",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "tt",
        "u",
        "ins",
        "del",
        "mark",
        "nobr",
        "wbr",
        "time",
    ]
)
PARAGRAPH_TAGS = frozenset(
    ["p", "pre", "blockquote", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt"]
)


@dataclass
class Document:
    """The parsed page plus per-element statistics, one list per statistic, indexed by the
    element's position in document (pre-order) order.

    Lists rather than an object per element: the measuring pass runs once per element of
    every page, and building ~600 small objects per page cost more than the counting itself.
    ``own*`` count only text not inside a block child (inline children such as ``<a>``,
    ``<span>`` fold into their parent's own text).
    """

    root: etree._Element
    elements: list[etree._Element] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    index: dict[etree._Element, int] = field(default_factory=dict)
    parent: list[int] = field(default_factory=list)  # -1 for the root
    end: list[int] = field(default_factory=list)  # last descendant: O(1) "is inside" tests
    text: list[int] = field(default_factory=list)  # visible characters, whitespace excluded
    link: list[int] = field(default_factory=list)  # ... of them inside <a>
    links: list[int] = field(default_factory=list)  # <a> elements in the subtree
    punct: list[int] = field(default_factory=list)  # sentence punctuation marks
    own: list[int] = field(default_factory=list)
    own_link: list[int] = field(default_factory=list)
    own_punct: list[int] = field(default_factory=list)

    def inside(self, child: int, ancestor: int) -> bool:
        return ancestor <= child <= self.end[ancestor]


def parse(html: str | bytes) -> etree._Element | None:
    """Parse once; return None for pages lxml cannot make sense of (empty, binary).

    ``html`` is text, or bytes that are known to be valid UTF-8 (a page whose strict decoding
    succeeded): libxml2 reads those as downloaded, which saves encoding the text back (~60 µs
    for a 60 KB page).
    """
    data = html.encode("utf-8", "replace") if isinstance(html, str) else html
    prefix = _PREFIX.match(data)
    if prefix and prefix.end():
        data = data[prefix.end():]
    if not data or data.isspace():
        return None
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    for element in list(root.iter(*_DROP_TAGS)):
        drop_tree(element)
    return root


def drop_tree(element: etree._Element) -> None:
    """Remove an element but keep its tail text (the text after it belongs to the parent)."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def inner_text(element: etree._Element) -> str:
    """All text inside an element (its tail excluded), as ``"".join(element.itertext())``.

    Serialised by libxml2: ``itertext`` makes a Python string per text node and costs ~40x
    more on a 250-link menu.
    """
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


def text_of(element: etree._Element) -> str:
    """Visible text of an element with whitespace runs collapsed."""
    return " ".join(inner_text(element).split())


# (visible characters, punctuation marks) of short text nodes seen before. A portal repeats its
# menus and sidebars on every page: most of a page's ~300 text nodes were measured on the
# previous page already, and a lookup costs a fifth of splitting and searching the text.
_TEXT_STATS: dict[str, tuple[int, int]] = {}
_TEXT_STATS_LIMIT = 50_000
_CACHED_TEXT_CHARS = 64


def _text_stats(chars: str) -> tuple[int, int]:
    stats = (len("".join(chars.split())), len(_PUNCT.findall(chars)))
    if len(chars) <= _CACHED_TEXT_CHARS:
        if len(_TEXT_STATS) >= _TEXT_STATS_LIMIT:
            _TEXT_STATS.clear()
        _TEXT_STATS[chars] = stats
    return stats


# Link lists: an element with many children that are all <li><a>text</a></li> or all
# <a>text</a>, whose text is all link text (a menu, a column of headlines). Every step after
# measuring treats such a list as one block (one line of links, no votes for the article), so
# its items are not measured one by one: on a portal page with a 250-link menu they are most of
# the elements, and were most of the measuring.
_LIST_MIN_ITEMS = 8
_TEXT = operator.attrgetter("text")


@dataclass
class _LinkList:
    """A link list measured whole: where it is, how many elements it holds, its sizes."""

    element: etree._Element
    position: int
    descendants: int
    text: int
    links: int
    punct: int
    inline_items: bool  # its items are <a> themselves: their text is the list's own text


def _link_lists(elements: list[etree._Element], tags: list[str]) -> list[_LinkList]:
    """The page's link lists, in document order (one never holds another: its items hold
    nothing but their link).

    Checked on the pre-order tag list, not element by element: a list of ``m`` items is
    ``["li", "a"] * m`` (or ``["a"] * m``) right after the list element, and each item holds
    exactly that one element. The list is a link list when its whole text (one libxml2
    serialisation) has as many visible characters as its links' texts together.
    """
    found: list[_LinkList] = []
    covered = -1
    for first, tag in enumerate(tags):
        if first <= covered or (tag != "li" and tag != "a") or first == 0:
            continue
        container = elements[first - 1]
        items = len(container)  # when it has children, the first of them is elements[first]
        if items < _LIST_MIN_ITEMS:
            continue
        if tag == "li":
            size = 2 * items
            if tags[first:first + size] != ["li", "a"] * items:
                continue
            if list(map(len, elements[first:first + size:2])).count(1) != items:
                continue
            anchors = elements[first + 1:first + size:2]
        else:
            size = items
            if tags[first:first + size] != ["a"] * items:
                continue
            anchors = elements[first:first + size]
        if any(map(len, anchors)):
            continue
        chars = inner_text(container)
        visible = len("".join(chars.split()))
        linked = "".join(filter(None, map(_TEXT, anchors)))
        if visible != len("".join(linked.split())):
            continue  # text outside the links: measured element by element
        found.append(
            _LinkList(
                element=container,
                position=first - 1,
                descendants=size,
                text=visible,
                links=items,
                punct=len(_PUNCT.findall(chars)),
                inline_items=tag == "a",
            )
        )
        covered = first + size - 1
    return found


def measure(root: etree._Element) -> Document:
    """Pre-order list of elements and, bottom-up in one pass, each subtree's sizes."""
    elements = list(root.iter(etree.Element))  # elements only: comments/PIs filtered in C
    tags = [e.tag for e in elements]
    lists = _link_lists(elements, tags)
    for found in reversed(lists):  # drop each list's items: the list stands for them
        start = found.position + 1
        del elements[start:start + found.descendants]
        del tags[start:start + found.descendants]
    n = len(elements)
    index = {e: i for i, e in enumerate(elements)}
    get = index.get
    parent = [get(e.getparent(), -1) for e in elements]
    end = list(range(n))
    text, link, links, punct = [0] * n, [0] * n, [0] * n, [0] * n
    own, own_link, own_punct = [0] * n, [0] * n, [0] * n
    folds_own = INLINE_TAGS | {"br"}
    for found in lists:
        k = index[found.element]
        text[k] = link[k] = found.text
        links[k], punct[k] = found.links, found.punct
        if found.inline_items:
            own[k] = own_link[k] = found.text
            own_punct[k] = found.punct
    stats_of = _TEXT_STATS.get
    for i in range(n - 1, -1, -1):  # children before parents; sizes inlined (hot loop)
        element = elements[i]
        chars = element.text
        if chars:
            stats = stats_of(chars) or _text_stats(chars)
            if stats[0]:
                own[i] += stats[0]
                text[i] += stats[0]
                own_punct[i] += stats[1]
                punct[i] += stats[1]
        tag = tags[i]
        if tag == "a":
            link[i], own_link[i] = text[i], own[i]
            links[i] += 1
        up = parent[i]
        if up < 0:
            continue
        tail = element.tail
        if tail:
            stats = stats_of(tail) or _text_stats(tail)
            if stats[0]:
                text[up] += stats[0]
                own[up] += stats[0]
                punct[up] += stats[1]
                own_punct[up] += stats[1]
        text[up] += text[i]
        link[up] += link[i]
        links[up] += links[i]
        punct[up] += punct[i]
        if tag in folds_own:
            own[up] += own[i]
            own_link[up] += own_link[i]
            own_punct[up] += own_punct[i]
        if end[up] < end[i]:
            end[up] = end[i]
    return Document(
        root, elements=elements, tags=tags, index=index, parent=parent, end=end, text=text,
        link=link, links=links, punct=punct, own=own, own_link=own_link, own_punct=own_punct,
    )
