"""The parsed page as every field step sees it: tree statistics plus rendered lines."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.extraction.dom import Document
from crawler.extraction.lines import Line


@dataclass
class Page:
    """One page after the single parse: measured tree, lines, ``<title>`` and meta tags."""

    doc: Document
    lines: list[Line]
    page_title: str | None
    meta: dict[str, str]
