"""Bytes of a downloaded page in, fields out: what the spider calls for each article page."""

from __future__ import annotations

from codecs import BOM_UTF8
from datetime import datetime

from crawler.extraction.article import Extracted, Selectors, extract_article
from crawler.extraction.encoding import decode_html


def extract_response(
    body: bytes, encoding_hint: str | None, url: str, selectors: Selectors | None, now: datetime
) -> tuple[Extracted, str]:
    """Decode (see ``decode_html``) and extract; returns the fields and the encoding used."""
    text, encoding = decode_html(body, encoding_hint)
    # Valid UTF-8 as downloaded (no BOM, nothing replaced): the parser takes the bytes.
    clean_utf8 = encoding == "utf-8" and not body.startswith(BOM_UTF8) and "\ufffd" not in text
    page = body if clean_utf8 else text
    return extract_article(page, url, selectors=selectors, now=now), encoding
