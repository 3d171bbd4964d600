"""Bytes of a downloaded page in, fields out: one picklable call for a worker process."""

from __future__ import annotations

from datetime import datetime

from crawler.extraction.article import Extracted, Selectors, extract_article
from crawler.extraction.encoding import decode_html


def extract_response(
    body: bytes, encoding_hint: str | None, url: str, selectors: Selectors | None, now: datetime
) -> tuple[Extracted, str]:
    """Decode (see ``decode_html``) and extract; returns the fields and the encoding used."""
    text, encoding = decode_html(body, encoding_hint)
    return extract_article(text, url, selectors=selectors, now=now), encoding
