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


def _utf8_news_with_broken_bytes(where: str) -> tuple[bytes, str | None]:
    """A ~2 KB UTF-8 news page with three invalid bytes, declared in the header or the meta."""
    paragraphs = "".join(
        f"<p>近日，{TEXT}第{i}段：公司召开专题会议，部署下一阶段安全生产与技术改造工作。</p>"
        for i in range(10)
    )
    meta = '<meta charset="utf-8">' if where == "meta" else ""
    raw = page(meta, paragraphs).encode("utf-8")
    cut = raw.index("第3段".encode()) - 1  # the last byte of a three-byte character
    raw = raw[:cut] + b"\xff" + raw[cut + 1 : cut + 200] + b"\xfe\xc3" + raw[cut + 202 :]
    return raw, ("utf-8" if where == "header" else None)


@pytest.mark.parametrize("where", ["header", "meta"])
def test_declared_utf8_with_a_few_invalid_bytes_stays_utf8(where: str) -> None:
    raw, header = _utf8_news_with_broken_bytes(where)
    text, encoding = decode_html(raw, header_encoding=header)
    assert encoding == "utf-8"
    assert TEXT in text and "第9段" in text
    assert "杩" not in text  # no GB18030 mojibake
    assert 1 <= text.count("\ufffd") <= 6  # the broken characters only


def test_gbk_declaration_on_utf8_bytes_is_still_not_believed() -> None:
    body = "".join(f"<p>{TEXT}第{i}段。</p>" for i in range(20))
    raw = page('<meta charset="gbk">', body).encode("utf-8")
    text, encoding = decode_html(raw)
    assert encoding == "utf-8"
    assert TEXT in text
