"""A crawl frontier shared by several crawl processes through Redis (``REDIS_URL``).

Without ``REDIS_URL`` none of this is loaded (``redis`` is not even imported) and the crawl
uses Scrapy's own in-memory scheduler. With it, ``crawler.frontier.addon.FrontierAddon`` swaps
in ``FrontierScheduler``: scrapy-redis's scheduler, queue and dupefilter, subclassed so that
the same ``scrapy crawl portal`` started in N processes downloads each request once, notices
workers that died with requests in hand, and ends (and deletes its keys) when the crawl is done.
"""
