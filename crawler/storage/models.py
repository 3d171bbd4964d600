"""ORM classes of the data contract, for scripts and reports that like to work with objects.

The tables themselves are defined once, in Core, in ``crawler.storage.tables``; the crawl uses
those directly and never imports this module (the ORM costs start-up time it does not need).
Each class here is mapped onto one of those tables, so a column is declared in one place only.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from crawler.storage import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class CrawlRun(Base):
    __table__ = tables.crawl_runs


class SectionWalk(Base):
    __table__ = tables.section_walks


class Article(Base):
    __table__ = tables.articles


class TagRow(Base):
    __table__ = tables.tags


class ArticleTag(Base):
    __table__ = tables.article_tags


class RunCoverage(Base):
    __table__ = tables.run_coverage
