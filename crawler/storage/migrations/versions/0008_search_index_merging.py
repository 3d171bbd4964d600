"""SQLite's search index merges its segments eight at a time instead of four.

FTS5 writes each storage transaction's new rows as a new segment of ``articles_fts`` and, as
it goes, merges segments of the same size into bigger ones: with ``automerge`` 4 (FTS5's
default) every indexed trigram is rewritten about once per fourfold growth of the index,
with 8 once per eightfold. Indexing is most of what storing an article costs on SQLite
(the trigram index of a 900-character article: ~0.55-1 ms of the writer's CPU, inside the
write transaction that other crawl processes of a shared frontier wait for), and it runs
for every article of every crawl, while searches are occasional: measured on 20,000
articles, 0.82 instead of 1.02 ms per article stored, 18 instead of 13 ms per search (21
segments instead of 10; ``INSERT INTO articles_fts(articles_fts) VALUES ('optimize')``
merges them all into one whenever a user wants the fastest searches). PostgreSQL: no
change (its GIN index has no such setting).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AUTOMERGE = 8
FTS5_DEFAULT_AUTOMERGE = 4


def _set_automerge(value: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', {value})")


def upgrade() -> None:
    _set_automerge(AUTOMERGE)


def downgrade() -> None:
    _set_automerge(FTS5_DEFAULT_AUTOMERGE)
