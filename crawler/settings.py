"""Scrapy settings of the project: one home for every component's configuration.

Each component reads its own prefixed keys (``PORTAL_*``, ``STORAGE_*``, ``DEDUP_*``,
``TAGGING_*``, ``ATTRIBUTION_*``, ``CRAWLRUN_*``); environment variables that users set in
production (``DATABASE_URL``, ``PORTALS_FILE``, ``EXTRACTION_WORKERS``, ``TAGGING_WORKERS``,
``DEDUP_WORKERS``, ``STORAGE_WORKERS``)
are read here once.
"""

from __future__ import annotations

import os

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
# Scrapy starts this many asyncio tasks for the output of EVERY response, and the portal
# spider yields at most one item per response (list pages yield requests, handled at once):
# more tasks are pure overhead (the default of 100 cost ~1 ms per page; 16 against 1 cost
# ~0.07 ms of the crawl process per page on bench/crawl_throughput.py).
CONCURRENT_ITEMS = 1
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Scrapy's meta-refresh redirects, without decoding every whole page in the crawl process; both
# redirect middlewares keep the Referer by the spider's rule (crawler/referer.py).
# Off: stock components this spider has no use for, each of which costs the crawl process's one
# reactor thread a call per request or per callback output (together ~3% of it on
# bench/crawl_throughput.py): depth tracking (pagination is bounded by max_pages, not depth),
# the developer warning about copied meta keys, HTTP auth (no portal needs credentials) and the
# offsite filter (the spider sets no allowed_domains; links.py keeps links on the portal).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.HeadMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
}
# The Referer header, the URL length limit (URLLENGTH_LIMIT) and the start-request mark are
# applied by the spider to the requests it makes: as spider middlewares they ran over every
# item and request a callback yields (a chain of async generators per callback).
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}

# Faults: bounded time, retries and size, so one bad page never stalls a run.
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports in unattended runs
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOG_FORMATTER = "crawler.logformat.QuietLogFormatter"  # no per-page DEBUG records above DEBUG

# Where things are.
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///data/portal.db")
PORTALS_FILE = os.environ.get("PORTALS_FILE", "")  # empty: crawler/data/portals.yaml

# Spider.
PORTAL_MAX_PAGES = 5  # list pages per section unless -a max_pages=N
PORTAL_ARTICLE_PRIORITY = 10  # queued articles before queued list pages (the next list page is
# still requested before its articles: see PortalSpider.parse_list)
# Processes that decode and extract article pages beside the reactor: -1 = one per extra
# core (at most 4), 0 = in the crawl process itself.
EXTRACTION_WORKERS = int(os.environ.get("EXTRACTION_WORKERS", "-1"))

# Pipelines, in the order of ../ARCHITECTURE: normalize, attribution, dedup, tagging, storage.
# The Before* gates hold items for a moment and let them on together, so that each heavy
# pipeline runs over a small batch back to back with its tables warm in the CPU caches
# (pipelines/batching.py). Removing them changes nothing but speed.
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.batching.BeforeAttribution": 150,
    "pipelines.attribution.AttributionPipeline": 200,
    "pipelines.batching.BeforeDedup": 250,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.batching.BeforeTagging": 350,
    "pipelines.tagging.TaggingPipeline": 400,
    "pipelines.storage.StoragePipeline": 500,
}
BATCH_SIZE = 16  # items a gate gathers before letting them on (1: no batching)
BATCH_DELAY = 0.05  # seconds the first of them waits at most
BATCH_GAP = 0.01  # seconds without a new item that end a batch early
ATTRIBUTION_ENABLED = True
ATTRIBUTION_ALIASES_FILE = ""  # empty: crawler/data/source_aliases.yaml
DEDUP_ENABLED = True
DEDUP_INDEX_CLASS = "pipelines.dedup.DedupIndex"  # asked by storage inside its transaction
DEDUP_SIMHASH_THRESHOLD = 24  # max Hamming distance of a candidate worth verifying
DEDUP_CONTAINMENT_THRESHOLD = 0.85  # shared 3-grams / 3-grams of the shorter text
DEDUP_MIN_CHARS = 30  # shorter normalised texts: exact match only
DEDUP_VERIFY_LIMIT = 8  # candidate bodies fetched and compared per lookup
DEDUP_KEY_LIMIT = 16  # newest rows read per (band, key)
# Dedup hashing in a worker process: -1 = from 4 cores up (see pipelines.dedup.DedupPipeline)
DEDUP_WORKERS = int(os.environ.get("DEDUP_WORKERS", "-1"))
TAGGING_ENABLED = True
TAGGING_TAXONOMY_FILE = ""  # empty: crawler/data/taxonomy.yaml
TAGGING_USERDICT_FILE = ""  # empty: crawler/data/jieba_userdict.txt
TAGGING_MAX_KEYWORDS = 8
TAGGING_KEYWORDS_ENABLED = True
TAGGING_LEAD_CHARS = 300  # body characters segmented for keywords (the lead carries the topic)
TAGGING_WORKERS = int(os.environ.get("TAGGING_WORKERS", "-1"))  # -1: one from 4 cores up
STORAGE_BATCH_SIZE = 50  # rows per transaction: one commit per item is the slow path
# Batches written by a storage worker process: -1 = from 2 cores up, 0 = in the crawl process
# (see pipelines.storage). The dedup hashing then happens there too, where it is used.
STORAGE_WORKERS = int(os.environ.get("STORAGE_WORKERS", "-1"))

EXTENSIONS = {
    "crawler.runs.CrawlRunRecorder": 100,
    "crawler.coverage.CoverageRecorder": 105,  # run_coverage: extraction health per run
    "crawler.shutdown.BoundedShutdown": 110,
    "crawler.gc_tuning.GcTuning": 120,
}
# Start-up objects frozen and a less frequent young-generation collection once the spider is
# open: the collector took ~10% of the crawl process with Python's defaults (crawler.gc_tuning).
GC_FREEZE = True
GC_THRESHOLD = [5000, 20, 20]  # gc.set_threshold; empty keeps Python's (700, 10, 10)
COVERAGE_ENABLED = True
COVERAGE_MIN_BODY_CHARS = 200  # a shorter body counts as not extracted
CRAWLRUN_TRIGGER = os.environ.get("CRAWL_TRIGGER", "manual")  # the scheduler passes 'schedule'
# Seconds after SIGTERM/Ctrl-C before downloads still open are aborted (see crawler.shutdown);
# below the scheduler's --kill-grace, so a stopped crawl still stores its batch and its run.
CRAWL_STOP_GRACE = 5.0

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
