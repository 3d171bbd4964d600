"""Downloader middlewares (and the DNS resolver they rely on) that decide what may be fetched:
the address guard and the per-crawl request budget."""
