"""Turns the shared frontier on when ``REDIS_URL`` is set; otherwise changes nothing.

An add-on because the scheduler is chosen from settings before any component is built, and
because importing ``crawler.frontier.scheduler`` (hence ``redis``) must not happen without
Redis: a one-machine crawl needs neither.
"""

from __future__ import annotations

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

# On a shared frontier the walk goes ahead of the articles (see update_settings).
SHARED_ARTICLE_PRIORITY = -10


class FrontierAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", "crawler.frontier.scheduler.FrontierScheduler", "addon")
        settings.set("SCHEDULER_QUEUE_CLASS", "crawler.frontier.queue.FrontierQueue", "addon")
        settings.set("DUPEFILTER_CLASS", "crawler.frontier.dupefilter.FrontierDupeFilter", "addon")
        # One process queues a list page's articles before the next list page: its queue is
        # in memory, so a deep walk must not pile up thousands of requests ahead. On a shared
        # frontier the queue is in Redis, and articles first means that every worker drains
        # the queue before one of them fetches the next list page, then all wait for it to be
        # parsed (bench/crawl_throughput.py, two workers: 3 % of the wall time). So here the
        # walk goes first, unless the user chose the order (-s, or a spider's settings).
        if (settings.getpriority("PORTAL_ARTICLE_PRIORITY") or 0) <= SETTINGS_PRIORITIES["project"]:
            settings.set("PORTAL_ARTICLE_PRIORITY", SHARED_ARTICLE_PRIORITY, "project")
