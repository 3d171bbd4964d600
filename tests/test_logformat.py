"""A crawl at LOG_LEVEL=INFO does not build a record per page and item; at DEBUG it logs them."""

from __future__ import annotations

import logging

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.extensions.logformat import QuietLogFormatter


def _formatter(**settings: object) -> QuietLogFormatter:
    return QuietLogFormatter.from_crawler(get_crawler(Spider, settings_dict=settings))


def _page() -> tuple[Request, HtmlResponse, Spider]:
    request = Request("http://127.0.0.1:1/a.html")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    return request, response, Spider("portal")


@pytest.mark.parametrize("level", ["INFO", "warning", logging.ERROR])
def test_per_page_and_per_item_debug_lines_are_not_built_above_debug(level: object) -> None:
    formatter = _formatter(LOG_LEVEL=level)
    request, response, spider = _page()
    assert formatter.crawled(request, response, spider) is None
    assert formatter.scraped({"title": "x"}, response, spider) is None


@pytest.mark.parametrize("level", ["DEBUG", logging.DEBUG, "NOT-A-LEVEL"])
def test_at_debug_scrapy_messages_are_logged_as_usual(level: object) -> None:
    formatter = _formatter(LOG_LEVEL=level)
    request, response, spider = _page()
    crawled = formatter.crawled(request, response, spider)
    scraped = formatter.scraped({"title": "x"}, response, spider)
    assert crawled is not None and crawled["level"] == logging.DEBUG
    assert "Crawled (200)" in crawled["msg"] % crawled["args"]
    assert scraped is not None and "Scraped from" in scraped["msg"] % scraped["args"]


def test_the_project_uses_it() -> None:
    from scrapy.utils.project import get_project_settings

    formatter = "crawler.extensions.logformat.QuietLogFormatter"
    assert get_project_settings()["LOG_FORMATTER"] == formatter


def test_scrapy_banner_goes_to_debug_and_real_warnings_stay() -> None:
    from crawler.extensions import quietlog

    quietlog.install()
    quietlog.install()  # twice (a second crawl in the process): still one filter per logger
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep(level=logging.DEBUG)
    middleware = logging.getLogger("scrapy.middleware")
    old_level = middleware.level
    middleware.addHandler(handler)
    middleware.setLevel(logging.DEBUG)
    try:
        middleware.info("Enabled %(componentname)ss:\n%(enabledlist)s",
                        {"componentname": "extension", "enabledlist": "[]"})
        middleware.warning("Disabled %(clspath)s: %(eargs)s", {"clspath": "x", "eargs": "y"})
        middleware.error("something else broke")
    finally:
        middleware.removeHandler(handler)
        middleware.setLevel(old_level)
    assert [r.levelname for r in seen] == ["DEBUG", "WARNING", "ERROR"]
    assert sum(isinstance(f, quietlog.DemoteFilter) for f in middleware.filters) == 1
