"""Item pipelines, in crawl order: normalize, attribution, dedup, tagging, storage."""
