"""Meta-refresh redirects are followed as Scrapy follows them, without decoding whole pages."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.middlewares import HEAD_BYTES, HeadMetaRefreshMiddleware

URL = "http://www.gongkong.com/news/202403/1.html"
FILLER = "<p>" + "工控网行业动态正文内容。" * 40 + "</p>"


def page(head: str = "", body: str = FILLER * 5, charset: str = "utf-8") -> bytes:
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            f"<title>中国工控网</title>{head}</head><body>{body}</body></html>").encode(charset)


def straddling(start: int) -> bytes:
    """A Chinese page whose refresh tag starts at character ``start``."""
    tag = '<meta http-equiv="refresh" content="0;url=/edge.html">'
    before = page().decode("utf-8").index("<body>") + len("<body>")
    return page(body="工" * (start - before) + tag + FILLER * 50)


def response(body: bytes, content_type: bytes = b"text/html", url: str = URL,
             cls: type[HtmlResponse] = HtmlResponse) -> HtmlResponse:
    return cls(url=url, body=body, headers={b"Content-Type": content_type},
               request=Request(url))


def ours() -> HeadMetaRefreshMiddleware:
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler())


def scrapys() -> MetaRefreshMiddleware:
    return MetaRefreshMiddleware.from_crawler(get_crawler())


def outcome(result: Request | Response) -> tuple[str, str]:
    return (type(result).__name__, result.url)


class NeverDecoded(HtmlResponse):
    """A page whose whole text must not be decoded."""

    @property
    def text(self) -> str:
        raise AssertionError("the whole page was decoded")


def test_a_refresh_in_the_head_redirects_to_its_target_resolved_against_base_href() -> None:
    body = page('<base href="http://www.gongkong.com/news/"><meta http-equiv="refresh" '
                'content="0; url=202403/2.html">')
    request = Request(URL)
    result = ours().process_response(request, response(body))
    assert isinstance(result, Request)
    assert result.url == "http://www.gongkong.com/news/202403/2.html"
    assert result.method == "GET"
    assert result.meta["redirect_times"] == 1
    assert result.meta["redirect_reasons"] == ["meta refresh"]


def test_a_gbk_page_declared_only_in_its_meta_tag_redirects() -> None:
    body = page('<meta http-equiv="Refresh" content="1;URL=/news/moved.html">', charset="gbk")
    result = ours().process_response(Request(URL), response(body))
    assert outcome(result) == ("Request", "http://www.gongkong.com/news/moved.html")


def test_a_page_without_refresh_passes_untouched_and_is_never_decoded_whole() -> None:
    big = response(page(body=FILLER * 800), cls=NeverDecoded)  # ~1 MB
    assert len(big.body) > 50 * HEAD_BYTES
    assert ours().process_response(Request(URL), big) is big


def test_a_slow_refresh_and_a_refresh_in_noscript_are_not_followed() -> None:
    slow = response(page('<meta http-equiv="refresh" content="300; url=/later.html">'))
    hidden = response(page('<noscript><meta http-equiv="refresh" content="0; url=/js.html">'
                           "</noscript>"))
    for resp in (slow, hidden):
        assert ours().process_response(Request(URL), resp) is resp


REDIRECTED = {"refresh at the top", "upper case, GBK in the header only",
              "UTF-16 with a byte order mark", "a refresh tag that ends at the 4,096th character"}


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("no refresh", page(), b"text/html"),
        ("refresh at the top", page('<meta http-equiv="refresh" content="0;url=/a.html">'),
         b"text/html"),
        ("the word refresh in the text only", page(body="<p>页面 refresh 说明</p>" + FILLER),
         b"text/html"),
        ("refresh beyond the first 4,096 characters",
         page(body=FILLER * 20 + '<meta http-equiv="refresh" content="0;url=/late.html">'),
         b"text/html"),
        ("upper case, GBK in the header only",
         page('<META HTTP-EQUIV="REFRESH" CONTENT="0; URL=/b.html">', charset="gbk")
         .replace(b"charset=gbk", b""), b"text/html; charset=gbk"),
        ("UTF-16 with a byte order mark",
         ('<html><head><meta http-equiv="refresh" content="0;url=/u16.html"></head><body>'
          + FILLER * 10 + "</body></html>").encode("utf-16"), b"text/html"),
        ("a refresh tag cut by the 4,096th character", straddling(4096 - 20), b"text/html"),
        ("a refresh tag that ends at the 4,096th character", straddling(4096 - 55), b"text/html"),
    ],
)
def test_the_same_redirects_as_scrapys_own_middleware(name: str, body: bytes,
                                                      content_type: bytes) -> None:
    expected = scrapys().process_response(Request(URL), response(body, content_type))
    got = ours().process_response(Request(URL), response(body, content_type))
    assert outcome(got) == outcome(expected), name
    assert (got.url != URL) == (name in REDIRECTED), name
