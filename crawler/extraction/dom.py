"""Parse a page once and measure every element in one bottom-up pass.

All later steps (body region, title, byline) read these numbers instead of re-walking the
tree, which keeps extraction of a 70 KB portal page within a few milliseconds.
"""

from __future__ import annotations

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
# A CleanEval wrapper line or an XML declaration before <html> confuses the parser.
_PREFIX = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<text\b[^>]*>)?", re.I)
_DELETE_PUNCT = str.maketrans("", "", "，。！？；：、,;!?")

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


@dataclass(slots=True)
class NodeStats:
    """Sizes of one element's subtree; ``own`` counts only text not inside a block child."""

    element: etree._Element
    parent: int
    end: int = 0  # index of the last descendant (pre-order), for O(1) "is inside" tests
    text: int = 0
    link: int = 0
    links: int = 0
    own: int = 0
    own_link: int = 0
    own_punct: int = 0
    punct: int = 0


@dataclass
class Document:
    """The parsed page plus per-element statistics in document (pre-order) order."""

    root: etree._Element
    nodes: list[NodeStats] = field(default_factory=list)
    index: dict[etree._Element, int] = field(default_factory=dict)

    def inside(self, child: int, ancestor: int) -> bool:
        return ancestor <= child <= self.nodes[ancestor].end


def parse(html: str) -> etree._Element | None:
    """Parse once; return None for pages lxml cannot make sense of (empty, binary)."""
    cleaned = _PREFIX.sub("", html, count=1)
    if not cleaned.strip():
        return None
    try:
        root = etree.fromstring(cleaned.encode("utf-8", "replace"), parser=_PARSER)
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


def text_of(element: etree._Element) -> str:
    """Visible text of an element with whitespace runs collapsed."""
    return " ".join("".join(element.itertext()).split())


def measure(root: etree._Element) -> Document:
    """Pre-order list of elements and, bottom-up in one pass, each subtree's sizes."""
    doc = Document(root)
    elements = list(root.iter(etree.Element))  # elements only: comments/PIs filtered in C
    index = doc.index = {e: i for i, e in enumerate(elements)}
    get = index.get
    doc.nodes = nodes = [
        NodeStats(element, get(element.getparent(), -1), i) for i, element in enumerate(elements)
    ]
    folds_own = INLINE_TAGS | {"br"}
    for i in range(len(nodes) - 1, -1, -1):
        node = nodes[i]
        element = node.element
        text = element.text
        if text and not text.isspace():  # sizes inlined: this loop runs once per element
            size = len("".join(text.split()))
            marks = len(text) - len(text.translate(_DELETE_PUNCT))
            node.own += size
            node.text += size
            node.own_punct += marks
            node.punct += marks
        tag = element.tag
        if tag == "a":
            node.link, node.own_link, node.links = node.text, node.own, node.links + 1
        if node.parent < 0:
            continue
        parent = nodes[node.parent]
        tail = element.tail
        if tail and not tail.isspace():
            size = len("".join(tail.split()))
            marks = len(tail) - len(tail.translate(_DELETE_PUNCT))
            parent.text += size
            parent.own += size
            parent.punct += marks
            parent.own_punct += marks
        parent.text += node.text
        parent.link += node.link
        parent.links += node.links
        parent.punct += node.punct
        if tag in folds_own:
            parent.own += node.own
            parent.own_link += node.own_link
            parent.own_punct += node.own_punct
        if parent.end < node.end:
            parent.end = node.end
    return doc
