"""Per-portal CSS/XPath overrides from the YAML profile (one line per field, optional)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.extraction.dom import text_of


@dataclass
class Selectors:
    """CSS or XPath (XPath when it starts with ``/`` or ``(``) for fields a portal pins."""

    title: str | None = None
    dateline: str | None = None
    body: str | None = None


@lru_cache(maxsize=256)
def _compile(expression: str) -> etree.XPath:
    """Compiled once per distinct selector: profiles reuse the same few for every page."""
    if expression.startswith(("/", "(")):
        return etree.XPath(expression)
    return CSSSelector(expression)


def select_text(root: etree._Element, expression: str, join: str = " ") -> str | None:
    """Text of the matched element(s); blocks become lines when ``join`` is a newline."""
    try:
        matches = _compile(expression)(root)
    except (etree.XPathError, ValueError, SyntaxError):
        return None
    parts: list[str] = []
    for match in matches if isinstance(matches, list) else [matches]:
        if isinstance(match, etree._Element):
            parts.append(_element_text(match, join))
        elif isinstance(match, str):
            parts.append(match.strip())
    text = join.join(p for p in parts if p)
    return text or None


def _element_text(element: etree._Element, join: str) -> str:
    if join != "\n":
        return text_of(element)
    chunks = []
    for piece in element.itertext():
        chunks.append(piece)
    lines = "".join(chunks).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())
