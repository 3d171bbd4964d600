"""A local portal simulator: fake industrial news portals served on 127.0.0.1.

Used by ``make demo``, the crawl tests and the benchmarks, so none of them needs the internet.
"""
