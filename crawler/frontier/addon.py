"""Turns the shared frontier on when ``REDIS_URL`` is set; otherwise changes nothing.

An add-on because the scheduler is chosen from settings before any component is built, and
because importing ``crawler.frontier.scheduler`` (hence ``redis``) must not happen without
Redis: a one-machine crawl needs neither.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings


class FrontierAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", "crawler.frontier.scheduler.FrontierScheduler", "addon")
        settings.set("SCHEDULER_QUEUE_CLASS", "crawler.frontier.queue.FrontierQueue", "addon")
        settings.set("DUPEFILTER_CLASS", "crawler.frontier.dupefilter.FrontierDupeFilter", "addon")
