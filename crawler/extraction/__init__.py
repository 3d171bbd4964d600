"""Turn one downloaded page into article fields (title, dateline, author, body ...).

Pure functions, no Scrapy imports: the spider calls :func:`decode_html` then
:func:`extract_article`; the pipelines interpret the raw byline/footer text further.
"""

from crawler.extraction.article import Extracted, Selectors, extract_article
from crawler.extraction.dates import parse_dateline
from crawler.extraction.encoding import decode_html
from crawler.extraction.response import extract_response

__all__ = [
    "Extracted",
    "Selectors",
    "decode_html",
    "extract_article",
    "extract_response",
    "parse_dateline",
]
