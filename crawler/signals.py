"""The project's own Scrapy signals (``crawler.signals.connect(handler, signal=...)``)."""

from __future__ import annotations

# Sent by the storage pipeline after a write that left nothing behind, with ``since``: the
# time.monotonic() at which the written batch was cut, i.e. every item that went through the
# pipelines before ``since`` is in the database now. The shared frontier keeps a request in
# flight until then, so that a worker killed with items in its buffer loses none of them.
items_stored = object()
