"""The project's own Scrapy signals (``crawler.signals.connect(handler, signal=...)``)."""

from __future__ import annotations

# Sent by the storage pipeline after each batch it wrote, and when the crawl idles with nothing
# left to write, with ``since`` (time.monotonic()): every item that went through the pipelines
# before ``since`` is in the database (or the spool) now. The shared frontier keeps a request
# in flight until then, so that a worker killed with items in its buffer loses none of them.
items_stored = object()
