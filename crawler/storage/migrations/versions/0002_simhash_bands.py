"""Near-duplicate index: simhash bands and sentence anchors of each article.

One row per (band, key, article): bands 0-3 hold the four 16-bit pieces of the simhash (any
article within Hamming distance 3 shares one), band 16 holds sentence anchors (a 63-bit hash of
one of the article's longest sentences). ``pipelines.dedup.DedupIndex`` finds candidates by
equality on (band, key), so a lookup costs a few index seeks whatever the table size. The
primary key is the lookup index (SQLite: WITHOUT ROWID, the table is that one B-tree);
``article_id`` is indexed too so that deleting an article (ON DELETE CASCADE) does not scan.

Existing articles are backfilled from their stored ``simhash`` bands (anchors need the body
and come with the next store of the article: older rows are still found by content hash and
by simhash bands).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_keys",
        sa.Column("band", sa.SmallInteger, nullable=False),
        sa.Column("key", sa.BigInteger, nullable=False),
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("band", "key", "article_id", name="pk_dedup_keys"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_dedup_keys_article", "dedup_keys", ["article_id"])
    # Backfill the simhash bands of rows stored before this revision: the 16-bit piece
    # ``band`` of the unsigned simhash; ``simhash`` is stored signed, and both dialects shift
    # a negative BIGINT arithmetically, so mask after shifting.
    for band in range(4):
        op.execute(sa.text(
            "INSERT INTO dedup_keys (band, key, article_id) "
            f"SELECT {band}, (simhash >> {16 * band}) & 65535, id FROM articles "
            "WHERE simhash IS NOT NULL ON CONFLICT DO NOTHING"
        ))


def downgrade() -> None:
    op.drop_index("ix_dedup_keys_article", table_name="dedup_keys")
    op.drop_table("dedup_keys")
