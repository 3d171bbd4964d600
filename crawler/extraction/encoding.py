"""Turn the raw bytes of a page into text.

Chinese portals of every age are crawled: 2004 GBK pages that declare nothing, pages whose HTTP
header says ISO-8859-1 while the bytes are GBK, CleanEval dumps with a ``<text encoding=..>``
wrapper line. Scrapy's own fallback turns many of these into mojibake, so we decide here, in a
fixed order of trust, and verify every declared charset against the bytes before believing it.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# Single-byte charsets decode any byte string, so "decodes cleanly" proves nothing for them;
# a Chinese page served as latin-1 is far more likely than a genuine latin-1 page here.
_SINGLE_BYTE = frozenset({"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"})
_CHARS_PER_BAD_BYTE = 2000
# A declared charset keeps the page with up to one bad byte in this many non-ASCII bytes: a
# UTF-8 page with a few broken bytes stays UTF-8 (~1 in 700), while GBK bytes read as UTF-8,
# or UTF-8 bytes read as GBK, break on every character or every few (1 in 2 to 1 in 50).
_NON_ASCII_PER_BAD_BYTE = 200
_DECLARED_MIN_BAD_BYTES = 4
_ASCII_BYTES = bytes(range(0x80))
_SNIFF_BYTES = 4096
_DETECT_SAMPLE = 32768

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_WRAPPER_CHARSET = re.compile(rb"""<text\b[^>]*\bencoding\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Declarations that are really "some GB encoding": gb18030 decodes all of them.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "big5": "big5hkscs",
}


def normalize_encoding(name: str | None) -> str | None:
    """Map a declared charset to a Python codec name, or None when Python does not know it.

    GB declarations widen to gb18030 because pages labelled gb2312 routinely use GBK characters.
    """
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        codec = codecs.lookup(key).name
    except LookupError:
        return None
    return "gb18030" if codec in {"gb2312", "gbk"} else codec


def _declared_in_markup(head: bytes) -> str | None:
    for pattern in (_META_CHARSET, _WRAPPER_CHARSET):
        match = pattern.search(head)
        if match:
            name = normalize_encoding(match.group(1).decode("ascii", "ignore"))
            if name and name not in {"utf-16", "utf-16-le", "utf-16-be"}:
                return name
    return None


def _decodes_cleanly(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly_clean(body: bytes, encoding: str) -> str | None:
    """Accept a few broken bytes: old pages often hold one truncated character in a headline
    list, and rejecting the whole page for it would be worse than one replacement char."""
    text = body.decode(encoding, errors="replace")
    allowed = max(2, len(text) // _CHARS_PER_BAD_BYTE)
    return text if text.count("\ufffd") <= allowed else None


def _declared_fits(body: bytes, encoding: str) -> str | None:
    """The page decoded with its declared charset, bad bytes replaced, unless they are so many
    that the declaration is wrong. Switching charsets over a handful of broken bytes turned a
    whole UTF-8 page into GB18030 mojibake (杩戞棩...) to save three characters."""
    text = _decodes_cleanly(body, encoding)
    if text is not None:
        return text
    text = body.decode(encoding, errors="replace")
    non_ascii = len(body.translate(None, _ASCII_BYTES))
    allowed = max(_DECLARED_MIN_BAD_BYTES, non_ascii // _NON_ASCII_PER_BAD_BYTE)
    if text.count("\ufffd") > allowed:
        return None
    if encoding != "utf-8" and _decodes_cleanly(body, "utf-8") is not None:
        return None  # valid UTF-8 throughout is no accident: the declaration is the error
    return text


def _detect(body: bytes) -> tuple[str, str]:
    """Guess when nothing trustworthy is declared: strict UTF-8 first (it rarely decodes by
    accident), then GB18030 (the dominant legacy charset of Chinese pages), then the detector."""
    for check in (_decodes_cleanly, _nearly_clean):
        for encoding in ("utf-8", "gb18030"):
            text = check(body, encoding)
            if text is not None:
                return text, encoding
    best = charset_normalizer.from_bytes(body[:_DETECT_SAMPLE]).best()
    guess = normalize_encoding(best.encoding) if best is not None else None
    encoding = guess or "gb18030"
    return body.decode(encoding, errors="replace"), encoding


def decode_html(body: bytes, header_encoding: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding_name)``; never raises.

    Order of trust: BOM, a charset declared in the first 4 KB of markup, the HTTP header, then
    detection. A declaration is only used when the body decodes with it, a few bad bytes aside
    (replaced), because a wrong header (ISO-8859-1 for GBK bytes) would otherwise "succeed" and
    store mojibake.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace"), encoding
    candidates = [_declared_in_markup(body[:_SNIFF_BYTES]), normalize_encoding(header_encoding)]
    for encoding in candidates:
        if encoding is None or (encoding in _SINGLE_BYTE and not body.isascii()):
            continue
        text = _declared_fits(body, encoding)
        if text is not None:
            return text, encoding
    return _detect(body)
