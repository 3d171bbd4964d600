"""The ``portal`` spider: section list pages -> article pages -> ``ArticleItem``.

It finds and fetches. Link classification lives in ``crawler.extraction.links``,
page-to-fields in ``crawler.extraction``, the sections to walk in ``targets``, when a walk
ends in ``walk_rules``, what a failed fetch is called in ``fetch_errors``. It never writes to
the database; it only asks (read-only, off the reactor thread) which article URLs are stored
already, so that re-runs download only what is new. Everything runs in this one Scrapy
process, with Scrapy's stock middlewares plus ``crawler.middlewares`` (offsite, address guard,
request budget; ``allowed_domains`` comes from the profiles); more throughput comes from more
crawl processes on a shared frontier, not from worker processes inside one crawl.

What is left here (~300 lines) is the three callbacks (list page, article, failed fetch) and
the per-run state they share (walk reports, URLs queued), which split apart only by passing
that state around.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.config.spider_args import PortalSpiderParams
from crawler.extraction import extract_response
from crawler.extraction.links import list_page_links
from crawler.items import ArticleItem
from crawler.runs.section_walks import (
    STOP_FAILED,
    WalkReport,
    list_page_requested,
    list_page_walked,
    load_resume_depths,
)
from crawler.spiders.fetch_errors import FetchErrorLog, describe, robots_forbidden
from crawler.spiders.targets import Target, dump_target, load_target, select_targets
from crawler.spiders.walk_rules import STOP_WORDS, known_run_after, walk_stop
from crawler.storage.known import KnownArticles
from crawler.urls import canonical_url, strip_tracking

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


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
        self.targets: list[Target] = []
        self.known: KnownArticles | None = None
        self.crawl_run_id: int | None = None  # set by crawler.runs.recorder.CrawlRunRecorder
        self.crawl_id: str | None = None  # set by crawler.frontier when the crawl is shared
        self._requested: set[str] = set()
        # What this run saw of each section's walk (read by crawler.runs.section_walks at the end).
        self.walks: dict[tuple[str, str], WalkReport] = {}
        self.fetch_errors = FetchErrorLog(logger)  # one ERROR line per unreachable host

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(crawler.settings)
        return spider

    # -- configuration ------------------------------------------------------------------------

    def _configure(self, settings: Any) -> None:
        self.default_max_pages = settings.getint("PORTAL_MAX_PAGES")
        self.caught_up_pages = max(1, settings.getint("PORTAL_CAUGHT_UP_PAGES"))
        self.max_body_bytes = settings.getint("DOWNLOAD_MAXSIZE")  # named in fault lines
        self.database_url: str = settings.get("DATABASE_URL")
        self.targets = select_targets(self.params, settings.get("PORTALS_FILE"))
        self.run_label = ",".join(dict.fromkeys(t.portal.key for t in self.targets)) or "none"
        # Scrapy's OffsiteMiddleware keeps requests (redirects included) on these hosts; it
        # takes host names only (links.on_site also checks the port of a local portal).
        self.allowed_domains = sorted(
            {d.partition(":")[0] for t in self.targets for d in t.portal.domains})
        self.known = KnownArticles(settings.get("DATABASE_URL"))

    def max_pages_for(self, target: Target) -> int:
        """How deep this run may walk: ``-a max_pages``, the profile's or the default limit,
        counted past the depth an unfinished earlier walk reached. So a run after an
        interrupted or shallow one goes on where it stopped, and a deep backlog is walked
        ``max_pages`` pages further each run until the section is caught up."""
        limit = self.params.max_pages or target.portal.max_pages or self.default_max_pages
        return limit + self.walks[target.key].resume_depth

    # -- the shared frontier (crawler.frontier, with REDIS_URL) --------------------------------

    @property
    def frontier_name(self) -> str:
        """What the crawl's Redis keys are named after: the same command, the same crawl."""
        if self.params.url and not self.params.portals:
            return urlsplit(self.params.url).netloc.lower() or "unknown"
        return ",".join(sorted({t.portal.key for t in self.targets})) or "none"

    def dump_cb_kwargs(self, cb_kwargs: dict[str, Any]) -> dict[str, Any]:
        return dump_target(cb_kwargs)

    def load_cb_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        return load_target(data, self.targets)

    # -- requests -----------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        depths = await asyncio.to_thread(
            load_resume_depths, self.database_url, [t.key for t in self.targets])
        for target in self.targets:
            report = WalkReport(*target.key, resume_depth=depths.get(target.key, 0))
            self.walks.setdefault(target.key, report)
            if report.resume_depth:
                logger.info("section %s (%s): an earlier walk did not finish; walking at least "
                            "%d list pages deep", target.section.url, target.portal.key,
                            report.resume_depth)
        if not self.targets:
            logger.error("no portal to crawl: every profile is disabled or none matched")
        for target in self.targets:
            yield self._list_request(target, target.section.url, 1, 0)

    def _list_request(
        self, target: Target, url: str, page: int, known_run: int
    ) -> scrapy.Request:
        # The walk's progress is recorded from here on (crawler.runs.section_walks).
        self.crawler.signals.send_catch_log(
            signal=list_page_requested, portal=target.portal.key,
            section_url=target.section.url, page=page)
        # List pages are always re-read (dont_filter), they are where new articles appear.
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            dont_filter=page == 1,
            cb_kwargs={"target": target, "page": page, "known_run": known_run},
            meta={"page_kind": "list", "page": page},
        )

    async def parse_list(
        self, response: Response, target: Target, page: int, known_run: int = 0
    ) -> AsyncIterator[scrapy.Request]:
        walk = self.walks[target.key]
        walk.deepest = max(walk.deepest, page)
        encoding_hint = self._check_page(response, target, "list")
        if encoding_hint is False:
            walk.stop = STOP_FAILED
            return
        self.crawler.stats.inc_value("portal/list_pages")
        self.crawler.stats.inc_value(f"portal/list_pages/{target.portal.key}")  # run_coverage
        links = list_page_links(
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
        # Queued earlier in this run counts as known too: those are not stored yet, and a trap
        # listing the same articles on every page would otherwise never look caught up. Only
        # the rest is looked up in the database.
        unqueued = [u for u in urls if u not in self._requested]
        stored: set[str] = set()
        if unqueued and not self.params.refresh and self.known is not None:
            # In a thread: a slow or stalled database must not stop the downloads.
            stored = await asyncio.to_thread(self.known.stored, unqueued)
        new = [u for u in unqueued if u not in stored]
        self.crawler.stats.inc_value("portal/article_links", len(urls))
        self.crawler.stats.inc_value(f"portal/article_links/{target.portal.key}", len(urls))
        self.crawler.stats.inc_value("portal/article_links_known", len(urls) - len(new))
        logger.info("list page %s / %s, page %d: %d article links, %d new (%s)",
                    target.portal.key, target.section.name, page, len(urls), len(new),
                    response.url)
        # The next list page first: Scrapy takes a callback's requests into the scheduler one
        # per turn of the event loop, so a next page yielded after 50 articles is fetched
        # after all of them.
        known_run = known_run_after(known_run, len(new), page, walk.resume_depth)
        walk.walked.update(strip_tracking(u) for u in (response.url, _requested_url(response)))
        stop = walk_stop(page, known_run, links.next_pages, walk.walked, self.caught_up_pages,
                         self.max_pages_for(target))
        if stop is None:
            for next_url in links.next_pages:
                yield self._list_request(target, next_url, page + 1, known_run)
        else:
            walk.stop = stop
            logger.info("section %s / %s: walk ends at page %d (%s)", target.portal.key,
                        target.section.name, page, STOP_WORDS[stop])
        # The walk's progress down to this page is in the database before any of its articles
        # is queued (an interrupted run resumes at least this deep), but the next list page
        # does not wait for that write: on a shared frontier the worker reading this page is
        # often not the one that requested it, so the write starts only now, behind the
        # storage writers' lock (SQLite), and the whole walk would wait for it page by page.
        await self.crawler.signals.send_catch_log_async(
            signal=list_page_walked, portal=target.portal.key, section_url=target.section.url,
            page=page)
        # Read here, not when the spider is built: Scrapy builds the spider before the add-ons
        # adjust the settings, and the frontier add-on changes this one (crawler/frontier).
        priority = self.settings.getint("PORTAL_ARTICLE_PRIORITY")
        for url in new:
            if url in self._requested:
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
                priority=priority,
                cb_kwargs={"target": target},
                meta={"page_kind": "article"},
            )

    def parse_article(self, response: Response, target: Target) -> ArticleItem | None:
        encoding_hint = self._check_page(response, target, "article")
        if encoding_hint is False:
            return None
        fetched_at = datetime.now(UTC)
        portal = target.portal
        extracted, encoding = extract_response(
            response.body, encoding_hint, response.url, target.selectors, fetched_at
        )
        url = canonical_url(response.url, extracted.canonical_url)
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
            byline_text=extracted.byline_text,
            footer_text=extracted.footer_text,
            meta=dict(extracted.meta),
            breadcrumb=list(extracted.breadcrumb),
            encoding=encoding,
            fetched_at=fetched_at,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _check_page(self, response: Response, target: Target, kind: str) -> str | None | bool:
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
        if robots_forbidden(failure):
            self.crawler.stats.inc_value("portal/robots_forbidden")
            logger.info("not fetching %s: forbidden by robots.txt", request.url)
            return
        reason, detail = describe(failure, request.meta.get("download_maxsize",
                                                            self.max_body_bytes),
                                  request.meta.get("download_timeout"))
        self._count_error(reason, kind)
        target = request.cb_kwargs.get("target")
        if isinstance(target, Target):  # the walk of its section is not complete
            walk = self.walks[target.key]
            if kind == "list":
                walk.stop = STOP_FAILED
            else:
                walk.article_failures += 1
        self.fetch_errors.failed(kind, request.url, reason, detail)

    def _count_error(self, reason: str, kind: str = "article") -> None:
        stats = self.crawler.stats
        stats.inc_value("portal/errors")
        stats.inc_value(f"portal/errors/{reason}")
        if kind == "list":
            stats.inc_value("portal/list_errors")

    def closed(self, reason: str) -> None:
        if self.known is not None:
            self.known.close()


def _header_charset(content_type: str) -> str | None:
    _, _, charset = content_type.partition("charset=")
    return charset.split(";")[0].strip(" \"'") or None


def _requested_url(response: Response) -> str:
    """The URL asked for (before redirects), or the response URL when there was no request."""
    return response.request.url if response.request is not None else response.url
