"""Reprint attribution: which outlet first published an article, did the portal copy it, and
who wrote it.

Industrial portals reprint each other and the trade press all day, and say so in a dozen
free-text shapes (``来源:解放日报``, ``信息来源于:中国石化新闻网``, ``（来源：中国电力报）``,
``本文转载自微信公众号“智能制造”``, ``中国电力新闻网讯``, ``新华社北京3月5日电``...).  This
package turns those shapes into one normalised outlet name so that ``GROUP BY source`` in SQL
gives true counts, plus a ``source_url``, an ``is_reprint`` flag and the author.

Modules, each importing only those above it: :mod:`.text` (folding), :mod:`.aliases` (the
outlet table), :mod:`.labels` (the label vocabulary), :mod:`.writers` (names),
:mod:`.credit_lines` (lines -> claims), :mod:`.decide` (claims -> one Attribution),
:mod:`.pipeline` (the Scrapy component).
"""

from pipelines.attribution.aliases import (
    DEFAULT_ALIASES_FILE,
    EMPTY_ALIASES,
    SourceAliases,
    aliases_for,
    load_aliases,
)
from pipelines.attribution.credit_lines import normalize_source
from pipelines.attribution.decide import Attribution, attribute
from pipelines.attribution.pipeline import AttributionPipeline
from pipelines.attribution.text import fold

__all__ = [
    "DEFAULT_ALIASES_FILE",
    "EMPTY_ALIASES",
    "Attribution",
    "AttributionPipeline",
    "SourceAliases",
    "aliases_for",
    "attribute",
    "fold",
    "load_aliases",
    "normalize_source",
]
