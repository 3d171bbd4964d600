"""Downloader middlewares of the portal crawl."""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares import redirect
from scrapy.http import Response

from crawler.referer import referer_header

# Scrapy looks for <meta http-equiv="refresh"> (and <base href>) in the first 4,096 characters
# of a page; 4 bytes a character at most (UTF-8; GBK needs 2), so these bytes hold them all.
HEAD_BYTES = 4 * 4096


class _RefererKeptOnRedirect:
    """A redirected request keeps the Referer its first request carried, re-checked for the
    new URL (an https page's address is not sent on to an http one), as a browser does.

    Scrapy's redirect middlewares hand this to ``RefererMiddleware``, which the crawl does not
    run (the spider sets the header itself, see ``crawler.referer``); without this they would
    drop the header on every redirect and warn about it at each start.
    """

    def handle_referer(self, request: Request, response: Response) -> None:
        referer = request.headers.get("Referer")
        request.headers.pop("Referer", None)
        header = referer_header(referer.decode("latin-1") if referer else None, request.url)
        if header:
            request.headers.update(header)

    def _engine_started(self) -> None:
        """Scrapy looks up ``RefererMiddleware`` here, and warns when it is off: not needed."""


class RedirectMiddleware(_RefererKeptOnRedirect, redirect.RedirectMiddleware):
    """Scrapy's ``RedirectMiddleware`` (same settings), with the crawl's Referer rule."""


class HeadMetaRefreshMiddleware(_RefererKeptOnRedirect, redirect.MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware`` (same settings, same redirects), reading the head only.

    Scrapy's version reads ``response.text``, which decodes the whole page, to look at its
    first 4,096 characters. On 60 KB portal pages that decoding was 12% of a download-only
    crawl's CPU (0.08 ms a page, bench/crawl_throughput.py), paid in the crawl process, whose
    one reactor thread is what limits a crawl, for text nothing else there uses: extraction
    decodes the page again, in its worker, with its own charset rules.

    So a page whose head has no "refresh" at all (nearly every page) passes untouched, and a
    page that has one is handed to Scrapy's own middleware cut to its head, which holds every
    character Scrapy's version reads. A head with NUL bytes (UTF-16 or UTF-32 text,
    where "refresh" is not those bytes) goes the second way too.
    """

    def process_response(
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        body = response.body
        head = body[:HEAD_BYTES]
        # lower() and `in`: ~12 µs for 16 KB, where a case-insensitive regex took ~70 µs.
        if b"refresh" not in head.lower() and b"\x00" not in head:
            return response
        cut = response.replace(body=head) if len(body) > HEAD_BYTES else response
        # Scrapy < 2.14 takes the spider as a required argument; newer ones warn if given one.
        answer = (super().process_response(request, cut) if spider is None
                  else super().process_response(request, cut, spider))  # type: ignore[call-arg]
        return response if answer is cut else answer
