"""``portal report``: one self-contained HTML page about what was crawled (crawler.report.page)."""
