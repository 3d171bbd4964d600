"""The ``portal`` spider: section list pages -> article pages -> ``ArticleItem``.

It finds and fetches; link classification lives in ``crawler.links`` and page-to-fields in
``crawler.extraction``. It never writes to the database; it only asks (read-only) which article
URLs are stored already, so that re-runs download only what is new.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.extraction import Selectors
from crawler.items import ArticleItem
from crawler.known import KnownArticles
from crawler.links import list_page_links
from crawler.page_tasks import extract_article_page
from crawler.params import PortalSpiderParams
from crawler.profiles import Portal, Section, load_portals
from crawler.referer import referer_header
from crawler.urls import strip_tracking
from crawler.workers import WorkerPool, default_workers

logger = logging.getLogger(__name__)


def _scrapy_errors(*names: str) -> tuple[type[Exception], ...]:
    """Newer Scrapy wraps Twisted's network errors in its own; older passes Twisted's on."""
    return tuple(getattr(scrapy.exceptions, n) for n in names if hasattr(scrapy.exceptions, n))


_DNS_ERRORS = _scrapy_errors("CannotResolveHostError")
_REFUSED_ERRORS = _scrapy_errors("DownloadConnectionRefusedError")
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


@dataclass(frozen=True)
class _Target:
    """One section to walk, with what the callbacks need to know about its portal."""

    portal: Portal
    section: Section

    @functools.cached_property
    def selectors(self) -> Selectors | None:
        """The profile's field selectors in extraction's terms, built once, not per page;
        None (nothing to send to the worker with every page) when the profile has none."""
        chosen = self.portal.selectors
        if not (chosen.title or chosen.dateline or chosen.body):
            return None
        return Selectors(title=chosen.title, dateline=chosen.dateline, body=chosen.body)


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        params_kwargs = {
            k: kwargs.pop(k)
            for k in list(kwargs)
            if k in {"portal", "url", "section", "max_pages", "refresh"}
        }
        super().__init__(*args, **kwargs)
        self.params = PortalSpiderParams.from_kwargs(**params_kwargs)
        self.targets: list[_Target] = []
        self.known: KnownArticles | None = None
        self.crawl_run_id: int | None = None  # set by crawler.runs.CrawlRunRecorder
        self.crawl_id: str | None = None  # set by crawler.frontier when the crawl is shared
        self._requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings)
        return spider

    # -- configuration ------------------------------------------------------------------------

    def _configure(self, settings: Any) -> None:
        self.default_max_pages = settings.getint("PORTAL_MAX_PAGES", 5)
        self.article_priority = settings.getint("PORTAL_ARTICLE_PRIORITY", 10)
        self.url_length_limit = settings.getint("URLLENGTH_LIMIT", 2083) or 2**31
        if self.params.url and not self.params.portals:
            portal = _ad_hoc_portal(self.params.url, self.params.section)
            self.targets = [_Target(portal, portal.sections[0])]
        else:
            registry = load_portals(settings.get("PORTALS_FILE") or None)
            portals = (
                [registry.get(k) for k in self.params.portals]
                if self.params.portals
                else list(registry.enabled())
            )
            for portal in portals:
                sections = portal.sections
                if self.params.url:
                    sections = (Section(self.params.section or "新闻", self.params.url),)
                self.targets.extend(_Target(portal, s) for s in sections)
        self.run_label = ",".join(dict.fromkeys(t.portal.key for t in self.targets)) or "none"
        self.known = KnownArticles(settings.get("DATABASE_URL"))
        workers = settings.getint("EXTRACTION_WORKERS", -1)
        self.workers = WorkerPool(default_workers() if workers < 0 else workers)

    def max_pages_for(self, portal: Portal) -> int:
        return self.params.max_pages or portal.max_pages or self.default_max_pages

    # -- the shared frontier (crawler.frontier, with REDIS_URL) --------------------------------

    @property
    def frontier_name(self) -> str:
        """What the crawl's Redis keys are named after: the same command, the same crawl."""
        if self.params.url and not self.params.portals:
            return urlsplit(self.params.url).netloc.lower() or "unknown"
        return ",".join(sorted({t.portal.key for t in self.targets})) or "none"

    def dump_cb_kwargs(self, cb_kwargs: dict[str, Any]) -> dict[str, Any]:
        """``cb_kwargs`` as plain data for a request queued in Redis: the target's portal key
        and section URL instead of the ``_Target`` (every worker builds the same targets)."""
        target = cb_kwargs.get("target")
        if isinstance(target, _Target):
            return {**cb_kwargs, "target": (target.portal.key, target.section.url)}
        return cb_kwargs

    def load_cb_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        ref = data.get("target")
        if not isinstance(ref, tuple):
            return data
        for target in self.targets:
            if (target.portal.key, target.section.url) == ref:
                return {**data, "target": target}
        raise ValueError(f"no section {ref[1]} of portal {ref[0]} in this crawl")

    # -- requests -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self._start_requests():
            yield request

    def _start_requests(self) -> Iterator[scrapy.Request]:
        if not self.targets:
            logger.error("no portal to crawl: every profile is disabled or none matched")
        for target in self.targets:
            request = self._list_request(target, target.section.url, 1)
            # What Scrapy's StartSpiderMiddleware sets (it is off, see crawler.settings): the
            # scheduler keeps start requests in their own first-in-first-out queue.
            request.meta["is_start_request"] = True
            yield request

    def _list_request(
        self, target: _Target, url: str, page: int, referer: str | None = None
    ) -> scrapy.Request:
        # List pages are always re-read (dont_filter), they are where new articles appear.
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            dont_filter=page == 1,
            cb_kwargs={"target": target, "page": page},
            meta={"page_kind": "list"},
            headers=referer_header(referer, url),
        )

    def _too_long(self, url: str) -> bool:
        """Scrapy's UrlLengthMiddleware check, done here for the two kinds of links the spider
        follows (the middleware is off: see SPIDER_MIDDLEWARES in crawler.settings)."""
        if len(url) <= self.url_length_limit:
            return False
        self.crawler.stats.inc_value("portal/url_too_long")
        logger.info("not following a URL longer than %d characters: %.200s",
                    self.url_length_limit, url)
        return True

    async def parse_list(
        self, response: Response, target: _Target, page: int
    ) -> AsyncIterator[scrapy.Request]:
        encoding_hint = self._check_page(response, target, "list")
        if encoding_hint is False:
            return
        self.crawler.stats.inc_value("portal/list_pages")
        # In the extraction worker, like article pages: a list page's hundreds of links
        # cost the crawl process ~3 ms each time.
        links = await self.workers.run(
            list_page_links,
            response.body,
            encoding_hint or None,
            response.url,
            target.portal.domains,
            page,
            target.portal.article_url_pattern,
            target.portal.selectors.list_links,
            target.portal.selectors.next_page,
        )
        urls = [u for u, _ in links.articles]
        stored = set() if self.params.refresh or self.known is None else self.known.stored(urls)
        new = [u for u in urls if u not in stored]
        self.crawler.stats.inc_value("portal/article_links", len(urls))
        self.crawler.stats.inc_value("portal/article_links_known", len(urls) - len(new))
        logger.info(
            "list page %s (%s, page %d): %d article links, %d new",
            response.url,
            target.portal.key,
            page,
            len(urls),
            len(new),
        )
        # The next list page first: Scrapy takes a callback's requests into the scheduler one
        # per turn of the event loop, so a next page yielded after 50 articles was fetched
        # after all of them, and the extraction worker ran dry at every list page (measured on
        # bench/crawl_throughput.py: the whole pipeline emptied every ~75 ms).
        if not new and urls:
            logger.info(
                "stopping pagination of %s at page %d: nothing new", target.section.url, page
            )
        elif page < self.max_pages_for(target.portal):
            for next_url in links.next_pages:
                if not self._too_long(next_url):
                    yield self._list_request(target, next_url, page + 1, response.url)
        for url in new:
            if url in self._requested or self._too_long(url):
                continue
            self._requested.add(url)
            # dont_filter: the spider dedupes article URLs itself (above), so that a redirect
            # loop reaches REDIRECT_MAX_TIMES and is reported instead of being silently
            # swallowed by the dupefilter.
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                dont_filter=True,
                priority=self.article_priority,
                cb_kwargs={"target": target},
                meta={"page_kind": "article"},
                headers=referer_header(response.url, url),
            )

    async def parse_article(self, response: Response, target: _Target) -> ArticleItem | None:
        # A coroutine returning one item: Scrapy's path for async generators costs more.
        encoding_hint = self._check_page(response, target, "article")
        if encoding_hint is False:
            return None
        fetched_at = datetime.now(UTC)
        portal = target.portal
        extracted, encoding, url = await self.workers.run(
            extract_article_page,
            response.body,
            encoding_hint,
            response.url,
            target.selectors,
            fetched_at,
        )
        if extracted.page_type != "article" or not extracted.title or not extracted.body:
            self._count_error("not_article")
            logger.warning(
                "not an article (%s, no title or body): %s", extracted.page_type, response.url
            )
            return None
        self.crawler.stats.inc_value("portal/articles_extracted")
        section = target.section.name or (
            extracted.breadcrumb[-1] if extracted.breadcrumb else None
        )
        return ArticleItem(
            url=url,
            fetched_url=response.url,
            portal=portal.key,
            portal_name=portal.name,
            section=section,
            title=extracted.title,
            body=extracted.body,
            published_at=extracted.published_at,
            published_text=extracted.published_text,
            author=extracted.author,
            byline_text=extracted.byline_text,
            footer_text=extracted.footer_text,
            source_hint=extracted.source_hint,
            meta=dict(extracted.meta),
            breadcrumb=list(extracted.breadcrumb),
            encoding=encoding,
            fetched_at=fetched_at,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _check_page(self, response: Response, target: _Target, kind: str) -> str | None | bool:
        """The encoding hint for a usable HTML page, or False (logged, counted) if unusable."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if content_type and not content_type.startswith(_HTML_TYPES):
            self._count_error("non_html", kind)
            logger.warning("skipping %s page %s: not HTML (%s)", kind, response.url, content_type)
            return False
        body = response.body
        if not body or body.isspace():  # not strip(): that copied every page
            self._count_error("empty", kind)
            logger.warning("skipping %s page %s: empty body", kind, response.url)
            return False
        # A profile's encoding wins; otherwise the header is only a hint that decode_html
        # checks against the bytes and the page's own <meta> (portals often lie in one of them).
        return target.portal.encoding or _header_charset(content_type)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        kind = request.meta.get("page_kind", "page")
        if failure.check(HttpError):
            status = failure.value.response.status
            reason, detail = f"http_{status}", f"HTTP {status}"
        elif failure.check(DNSLookupError, *_DNS_ERRORS):
            reason, detail = "dns", "DNS lookup failed"
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            reason, detail = "timeout", "timed out"
        elif failure.check(ResponseDataLossError):
            reason, detail = "truncated", "response truncated (fewer bytes than announced)"
        elif failure.check(ConnectionRefusedError, *_REFUSED_ERRORS):
            reason, detail = "refused", "connection refused"
        elif failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            self.crawler.stats.inc_value("portal/robots_forbidden")
            logger.info("not fetching %s: forbidden by robots.txt", request.url)
            return
        elif failure.check(IgnoreRequest) and "redirect" in failure.getErrorMessage().lower():
            reason, detail = "redirect_loop", "too many redirects (redirect loop?)"
        elif failure.check(DownloadCancelledError) and "max size" in failure.getErrorMessage():
            reason, detail = "too_large", failure.getErrorMessage()
        else:
            reason = failure.type.__name__ if failure.type else "error"
            detail = f"{reason}: {failure.getErrorMessage()}"
            reason = reason.lower()
        self._count_error(reason, kind)
        logger.error("fetch failed for %s page %s: %s", kind, request.url, detail)

    def _count_error(self, reason: str, kind: str = "article") -> None:
        stats = self.crawler.stats
        stats.inc_value("portal/errors")
        stats.inc_value(f"portal/errors/{reason}")
        if kind == "list":
            stats.inc_value("portal/list_errors")

    def closed(self, reason: str) -> None:
        if self.known is not None:
            self.known.close()
        self.workers.close()


def _header_charset(content_type: str) -> str | None:
    _, _, charset = content_type.partition("charset=")
    return charset.split(";")[0].strip(" \"'") or None


def _ad_hoc_portal(url: str, section: str | None) -> Portal:
    """A profile-less portal for ``-a url=``: key and name from the host, generic rules only."""
    host = (urlsplit(url).hostname or "unknown").lower()
    site = host[4:] if host.startswith("www.") else host
    return Portal(key=site, name=site, sections=(Section(section or "新闻", strip_tracking(url)),))
