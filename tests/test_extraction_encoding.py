"""decode_html: every page the crawler meets must come out as readable Chinese text."""

from __future__ import annotations

import codecs

import pytest

from crawler.extraction import decode_html

TEXT = "镇海炼化紧紧抓住“四个着力点”，扎实推进主题活动取得实实在在的效果。"


def page(charset_meta: str = "", body: str = TEXT) -> str:
    return f"<html><head>{charset_meta}<title>新闻</title></head><body><p>{body}</p></body></html>"


def test_utf8_page_with_meta_charset_decodes() -> None:
    text, encoding = decode_html(page('<meta charset="utf-8">').encode("utf-8"))
    assert TEXT in text
    assert encoding == "utf-8"


@pytest.mark.parametrize("declared", ["gb2312", "gbk", "GB18030", "GBK"])
def test_gb_declarations_all_decode_as_gb18030(declared: str) -> None:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">'
    text, encoding = decode_html(page(meta).encode("gbk"))
    assert TEXT in text
    assert encoding == "gb18030"


def test_gb2312_label_with_gbk_only_characters_still_decodes() -> None:
    body = "镕基与喆字都不在GB2312里。"  # GBK-only characters on a page labelled gb2312
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    text, _ = decode_html(page(meta, body).encode("gbk"))
    assert body in text


def test_gbk_page_without_header_charset_decodes() -> None:
    text, encoding = decode_html(page().encode("gbk"))
    assert TEXT in text
    assert encoding == "gb18030"


def test_utf8_page_without_any_charset_decodes() -> None:
    text, encoding = decode_html(page().encode("utf-8"))
    assert TEXT in text
    assert encoding == "utf-8"


def test_header_contradicting_the_bytes_falls_back_to_detection() -> None:
    text, _ = decode_html(page().encode("gbk"), header_encoding="utf-8")
    assert TEXT in text


def test_latin1_header_on_gbk_bytes_is_not_trusted() -> None:
    text, _ = decode_html(page().encode("gbk"), header_encoding="ISO-8859-1")
    assert TEXT in text


def test_meta_charset_wins_over_header() -> None:
    meta = '<meta charset="gbk">'
    text, encoding = decode_html(page(meta).encode("gbk"), header_encoding="utf-8")
    assert TEXT in text
    assert encoding == "gb18030"


def test_header_used_when_markup_declares_nothing() -> None:
    text, encoding = decode_html(page().encode("gbk"), header_encoding="GBK")
    assert TEXT in text
    assert encoding == "gb18030"


def test_cleaneval_wrapper_line_declares_the_encoding() -> None:
    raw = ('<text id="http://example.com/a.html" encoding="gb2312">\n' + page()).encode("gbk")
    text, encoding = decode_html(raw)
    assert TEXT in text
    assert encoding == "gb18030"


def test_utf8_bom_wins_and_is_stripped() -> None:
    text, encoding = decode_html(codecs.BOM_UTF8 + page('<meta charset="gbk">').encode("utf-8"))
    assert text.startswith("<html>")
    assert encoding == "utf-8"


def test_stray_bytes_before_html_do_not_break_decoding() -> None:
    raw = b"\r\n\x00\x00garbage-before-doctype\n" + page('<meta charset="gbk">').encode("gbk")
    text, _ = decode_html(raw)
    assert TEXT in text


def test_a_few_broken_bytes_are_replaced_not_fatal() -> None:
    raw = page('<meta charset="gbk">').encode("gbk") + b"\xff"
    text, encoding = decode_html(raw)
    assert TEXT in text
    assert encoding == "gb18030"


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02", bytes(range(256)) * 4])
def test_never_raises_on_junk(raw: bytes) -> None:
    text, encoding = decode_html(raw)
    assert isinstance(text, str)
    assert encoding
