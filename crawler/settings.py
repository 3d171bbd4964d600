"""Scrapy settings of the project: one home for every component's configuration.

Each component reads its own prefixed keys (``PORTAL_*``, ``STORAGE_*``, ``DEDUP_*``,
``TAGGING_*``, ``ATTRIBUTION_*``, ``CRAWLRUN_*``), and every default lives here; environment
variables that users set in production (``DATABASE_URL``, ``PORTALS_FILE``, ``LOG_LEVEL``,
``CRAWL_TRIGGER``) are read here once.
"""

from __future__ import annotations

import os

from scrapy.settings import default_settings

BOT_NAME = "portal-crawler"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` with checked arguments, one-line errors and exit codes (crawler/commands/).
COMMANDS_MODULE = "crawler.commands"

# A real, contactable identity: portals' admins see who crawls them and why.
USER_AGENT = (
    "Mozilla/5.0 (compatible; portal-crawler/0.1; "
    "+https://github.com/portal-crawler/portal-crawler)"
)
ROBOTSTXT_OBEY = True

# Politeness: a few requests per host at a time, AutoThrottle adapts to the server.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Scrapy's stock middlewares all stay on (Referer, URL length, depth, offsite, redirects, meta
# refresh, robots.txt, retries...). The offsite filter reads the spider's allowed_domains,
# which the portal spider takes from the profiles (or the -a url= host).

# Faults: bounded time, retries and size, so one bad page never stalls a run.
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
# The spider's errback reports every failed page once (one ERROR line per unreachable host):
# Scrapy's own "Gave up retrying" line would say it again.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
HTTPERROR_ALLOW_ALL = False
# Only http(s): a link or redirect to file://, s3://, ftp:// or data: is never fetched.
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}
# No loopback/private/link-local/reserved addresses except the portals' own hosts: checked on
# every DNS answer and on IP-literal requests (crawler.middlewares.address_guard).
TWISTED_DNS_RESOLVER = "crawler.middlewares.address_guard.GuardedResolver"
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's OffsiteMiddleware (50) lets dont_filter requests and their redirects through.
    "crawler.middlewares.offsite.OffsiteGuardMiddleware": 55,
    "crawler.middlewares.address_guard.AddressGuardMiddleware": 60,
    "crawler.middlewares.request_budget.RequestBudgetMiddleware": 70,
}
# Scrapy's stock components, less two that are off here anyway and cost start-up time only
# by being imported (Scrapy 2.19 imports every component named in a *_BASE dict, disabled or
# not, to compare the names): the cookies middleware (COOKIES_ENABLED) pulls in tldextract
# and filelock (~0.13 s), the remote-control extension (REMOTE_CONTROL_ENABLED) aiohttp
# (~0.11 s). Every crawl process pays start-up again, every worker of a shared frontier too.
DOWNLOADER_MIDDLEWARES_BASE = {
    name: order for name, order in default_settings.DOWNLOADER_MIDDLEWARES_BASE.items()
    if name not in ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
                    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware")
}
# Scrapy's meta-refresh redirects, in its place, minus decoding every whole page to look for
# one (~0.17 ms a page; see crawler/middlewares/meta_refresh.py).
DOWNLOADER_MIDDLEWARES_BASE["crawler.middlewares.meta_refresh.CheapMetaRefreshMiddleware"] = (
    default_settings.DOWNLOADER_MIDDLEWARES_BASE[
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"])
EXTENSIONS_BASE = {
    name: order for name, order in default_settings.EXTENSIONS_BASE.items()
    if name != "scrapy.extensions.remote_control.RemoteControl"
}
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports in unattended runs
# Items a response's output is worked on at once. Scrapy's 100 starts 100 asyncio tasks for
# every response, and a page here yields one item (or a list page's ~50 requests): ~1 ms CPU
# per page for nothing (bench/crawl_throughput.py: 8.5 -> 7.5 ms CPU per page).
CONCURRENT_ITEMS = 4
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# No per-page DEBUG records above DEBUG. Scrapy's banner (versions, settings, component lists,
# stats dump) is lowered to DEBUG by crawler.extensions.quietlog, installed by our crawl command.
LOG_FORMATTER = "crawler.extensions.logformat.QuietLogFormatter"

# Where things are.
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///data/portal.db")
PORTALS_FILE = os.environ.get("PORTALS_FILE", "")  # empty: crawler/data/portals.yaml

# Spider.
PORTAL_MAX_PAGES = 5  # list pages per section unless -a max_pages=N
# Requests per crawl (retries, redirects included) before it closes as "request_budget": the
# last bound on calendar/generated-link traps. 0: none.
PORTAL_REQUEST_BUDGET = 20000
# A walk is caught up after this many list pages in a row with nothing new (and at least as
# deep as an unfinished earlier walk went): see crawler.runs.section_walks.
PORTAL_CAUGHT_UP_PAGES = 2
SECTION_WALKS_ENABLED = True
PORTAL_ARTICLE_PRIORITY = 10  # queued articles before queued list pages (the next list page is
# still requested before its articles: see PortalSpider.parse_list); on a shared frontier
# (REDIS_URL) list pages go first instead, unless this is given with -s
# (crawler/frontier/addon.py)

# Pipelines, in the order of the data flow: normalize, attribution, dedup, tagging, storage.
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.attribution.AttributionPipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.tagging.TaggingPipeline": 400,
    "pipelines.storage.StoragePipeline": 500,
}
ATTRIBUTION_ENABLED = True
ATTRIBUTION_ALIASES_FILE = ""  # empty: crawler/data/source_aliases.yaml
DEDUP_ENABLED = True  # off: no fingerprints, no duplicate_of decisions
DEDUP_SIMHASH_THRESHOLD = 24  # max Hamming distance of a candidate worth verifying
DEDUP_CONTAINMENT_THRESHOLD = 0.85  # shared 3-grams / 3-grams of the shorter text
DEDUP_MIN_CHARS = 30  # shorter normalised texts: exact match only
DEDUP_VERIFY_LIMIT = 8  # candidate bodies fetched and compared per lookup
DEDUP_KEY_LIMIT = 16  # newest rows read per (band, key)
TAGGING_ENABLED = True
TAGGING_TAXONOMY_FILE = ""  # empty: crawler/data/taxonomy.yaml
TAGGING_USERDICT_FILE = ""  # empty: crawler/data/jieba_userdict.txt
TAGGING_MAX_KEYWORDS = 8
TAGGING_KEYWORDS_ENABLED = True
TAGGING_LEAD_CHARS = 300  # body characters segmented for keywords (the lead carries the topic)
STORAGE_ENABLED = True
STORAGE_BATCH_SIZE = 50  # rows per transaction: one commit per item is the slow path
STORAGE_BACKLOG_BATCHES = 4  # full batches waiting for a slow database before items wait too
STORAGE_CLOSE_RETRIES = 3  # tries to write what is left when the crawl ends
STORAGE_CLOSE_RETRY_DELAY = 1.0  # seconds between them
# Articles still unstored after those retries go to a JSONL spool the next run replays first.
# Empty: spool/ beside the SQLite file (data/spool), data/spool/<host>-<db> for PostgreSQL.
STORAGE_SPOOL_DIR = os.environ.get("STORAGE_SPOOL_DIR", "")
# While the database is away, batches go straight to the spool and a probe looks for it every
# this many seconds; once it answers, the spool is replayed (oldest first) before new batches.
STORAGE_PROBE_INTERVAL = 2.0
# Seconds any PostgreSQL round trip (query, ping, commit) may take before the client shuts its
# connection down (crawler.storage.bounded): a server or proxy that stops answering without
# closing the connection is not caught by statement_timeout or keepalives. A little above
# DB_STATEMENT_TIMEOUT (30 s), so the server's own timeout speaks first. Environment variable,
# since make_engine is called by scripts and the scheduler as well as by crawls; 0: none.
DB_CLIENT_TIMEOUT = float(os.environ.get("DB_CLIENT_TIMEOUT", "35"))

# Scale-out (crawler/frontier): with REDIS_URL the scheduler queue and the request fingerprints
# live in Redis, and the same command started in N processes (on N machines) shares one crawl.
REDIS_URL = os.environ.get("REDIS_URL", "")  # empty: Scrapy's own scheduler, no Redis
ADDONS = {"crawler.frontier.addon.FrontierAddon": 0}  # does nothing without REDIS_URL
FRONTIER_KEY_PREFIX = "portal-crawler"  # keys <prefix>:<portal keys or host>:<part>
# Seconds without a heartbeat after which a worker counts as dead and its requests in flight go
# back to the queue (heartbeats come every third of it).
FRONTIER_INFLIGHT_TIMEOUT = 120.0
FRONTIER_POLL_INTERVAL = 0.1  # seconds between looks at the shared queue when idle
# A worker takes no request from the shared queue while this many responses wait for its CPU,
# so that a busy worker does not hoard what an idle one could download. 0: no limit.
FRONTIER_MAX_UNPARSED = 4
# Requests a worker takes from the shared queue per round trip (in flight from then on); 1 is
# one round trip per request. 8: two workers ~5 % faster than with 4 (bench), 16 no better;
# the engine takes them at once anyway (it keeps up to CONCURRENT_REQUESTS in its downloader).
# When the worker queues a request that goes before some it has taken but not started (the
# next list page), those go back to the queue, so the walk is not held up behind them.
FRONTIER_PREFETCH = 8

EXTENSIONS = {
    "pipelines.drops.DropStats": 90,  # drop/<reason> for every dropped item
    # Replaced by crawler.extensions.progress: start, progress (with an ETA) and summary lines.
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.runs.recorder.CrawlRunRecorder": 100,
    "crawler.runs.section_walks.SectionWalkRecorder": 105,
    "crawler.runs.coverage.CoverageRecorder": 106,  # run_coverage: extraction health per run
    "crawler.extensions.shutdown.BoundedShutdown": 110,
    "crawler.extensions.gc_tuning.GcTuning": 120,
    "crawler.extensions.progress.CrawlProgress": 130,  # after the recorder: it has the run id
}
# Seconds between the progress lines at INFO (pages, stored/duplicate/failed, rate, ETA);
# 0: none, the start and summary lines stay.
PROGRESS_INTERVAL = 30.0
# Start-up objects frozen and a less frequent young-generation collection once the spider is
# open: the collector took ~10% of the crawl process with Python's defaults
# (crawler.extensions.gc_tuning).
GC_FREEZE = True
GC_THRESHOLD = [5000, 20, 20]  # gc.set_threshold; empty keeps Python's (700, 10, 10)
GC_FREEZE_AT_EXIT = True  # no collector walks over every object while the process exits
COVERAGE_ENABLED = True
COVERAGE_MIN_BODY_CHARS = 200  # a shorter body counts as not extracted
CRAWLRUN_TRIGGER = os.environ.get("CRAWL_TRIGGER", "manual")  # the scheduler passes 'schedule'
# Seconds after SIGTERM/Ctrl-C before downloads still open are aborted
# (see crawler.extensions.shutdown);
# below the scheduler's --kill-grace, so a stopped crawl still stores its batch and its run.
CRAWL_STOP_GRACE = 5.0

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
