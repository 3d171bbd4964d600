"""Process-level Scrapy components switched on in settings: bounded shutdown, GC tuning and the
quiet log formatter. None of them touches pages or items."""
