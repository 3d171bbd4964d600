"""Industry, company and keyword tags for articles.

One module per job: ``taxonomy`` (the ``taxonomy.yaml`` model and its loading), ``matcher``
(the keyword/alias automaton), ``keywords`` (jieba TF-IDF and the compact IDF table),
``tagger`` (scores hits into tags), ``pipeline`` (the Scrapy item pipeline).
``bench/stages.py`` measures the per-article cost.
"""

from pipelines.tagging.keywords import DEFAULT_USERDICT_FILE
from pipelines.tagging.pipeline import TaggingPipeline
from pipelines.tagging.tagger import Tagger, get_tagger
from pipelines.tagging.taxonomy import (
    DEFAULT_TAXONOMY_FILE,
    Scoring,
    Taxonomy,
    TaxonomyFile,
    load_taxonomy,
)

__all__ = [
    "DEFAULT_TAXONOMY_FILE",
    "DEFAULT_USERDICT_FILE",
    "Scoring",
    "Tagger",
    "TaggingPipeline",
    "Taxonomy",
    "TaxonomyFile",
    "get_tagger",
    "load_taxonomy",
]
