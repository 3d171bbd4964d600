"""Pages that move by ``<meta http-equiv="refresh">`` are still followed, as Scrapy follows them,
and the pages that cannot move are no longer decoded whole just to look."""

from __future__ import annotations

import pytest
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request

from crawler.middlewares.meta_refresh import CheapMetaRefreshMiddleware
from tests.conftest import project_crawler

URL = "http://portal.example/news/1.html"
CLUTTER = "<p>" + "工业自动化新闻" * 2000 + "</p>"  # a long page: the decoding that is saved


def page(head: str, encoding: str = "utf-8") -> HtmlResponse:
    body = f"<html><head>{head}<title>新闻</title></head><body>{CLUTTER}</body></html>"
    return HtmlResponse(url=URL, body=body.encode(encoding), encoding=encoding)


def both(response: HtmlResponse) -> tuple[object, object]:
    """What our middleware and Scrapy's make of the same response."""
    crawler = project_crawler()
    ours = CheapMetaRefreshMiddleware.from_crawler(crawler).process_response(
        Request(URL), response)
    stock = MetaRefreshMiddleware.from_crawler(crawler).process_response(
        Request(URL), response.replace())
    return ours, stock


def test_a_page_that_moves_is_followed_to_its_new_address() -> None:
    for head in ('<meta http-equiv="refresh" content="0; url=/news/2.html">',
                 "<META HTTP-EQUIV=Refresh CONTENT='0;URL=http://portal.example/news/2.html'>"):
        ours, stock = both(page(head))
        assert isinstance(ours, Request) and isinstance(stock, Request)
        assert ours.url == stock.url == "http://portal.example/news/2.html"


def test_a_page_in_utf16_that_moves_is_followed_too() -> None:
    ours, stock = both(page('<meta http-equiv="refresh" content="0; url=/news/2.html">',
                            encoding="utf-16"))
    assert isinstance(ours, Request) and isinstance(stock, Request)
    assert ours.url == stock.url  # Scrapy's call, quirks included (it keeps the page's BOM)


def test_a_page_that_cannot_move_goes_on_undecoded() -> None:
    response = page('<meta name="keywords" content="伺服,变频器">')
    ours, stock = both(response)
    assert ours is response and stock is not None and not isinstance(stock, Request)
    assert response._cached_ubody is None  # Scrapy's decoded text: never made


def test_a_refresh_too_slow_to_follow_or_switched_off_is_scrapys_call() -> None:
    slow = page('<meta http-equiv="refresh" content="600; url=/news/2.html">')
    ours, stock = both(slow)
    assert ours is slow and not isinstance(stock, Request)  # METAREFRESH_MAXDELAY: 100 s
    with pytest.raises(NotConfigured):  # METAREFRESH_ENABLED=False still turns it off
        CheapMetaRefreshMiddleware.from_crawler(project_crawler(METAREFRESH_ENABLED=False))


def test_the_crawl_uses_it_in_place_of_scrapys_own() -> None:
    base = project_crawler().settings.getdict("DOWNLOADER_MIDDLEWARES_BASE")
    assert "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware" not in base
    assert base["crawler.middlewares.meta_refresh.CheapMetaRefreshMiddleware"] == 580
