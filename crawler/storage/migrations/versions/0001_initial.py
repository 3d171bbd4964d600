"""The data contract: articles, tags, article_tags, crawl_runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("portal", sa.String(200), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False, server_default="manual"),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
        sa.Column("status", sa.String(20), nullable=False, server_default="running"),
        sa.Column("pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("items_new", sa.Integer, nullable=False, server_default="0"),
        sa.Column("items_duplicate", sa.Integer, nullable=False, server_default="0"),
        sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_crawl_runs_portal_started", "crawl_runs", ["portal", "started_at"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False, unique=True),
        sa.Column("portal", sa.String(200), nullable=False),
        sa.Column("section", sa.String(200)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("published_at", UTCDateTime()),
        sa.Column("author", sa.String(500)),
        sa.Column("source", sa.String(500)),
        sa.Column("source_url", sa.String(2000)),
        sa.Column("is_reprint", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("simhash", sa.BigInteger),
        sa.Column(
            "duplicate_of", sa.Integer, sa.ForeignKey("articles.id", ondelete="SET NULL")
        ),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column(
            "crawl_run_id", sa.Integer, sa.ForeignKey("crawl_runs.id", ondelete="SET NULL")
        ),
    )
    for column in ("portal", "published_at", "source", "content_hash", "duplicate_of",
                   "crawl_run_id"):
        op.create_index(f"ix_articles_{column}", "articles", [column])
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.UniqueConstraint("name", "kind", name="uq_tags_name_kind"),
    )
    op.create_table(
        "article_tags",
        sa.Column(
            "article_id",
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "tag_id", sa.Integer, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("score", sa.Float, nullable=False, server_default="1.0"),
    )
    op.create_index("ix_article_tags_tag", "article_tags", ["tag_id"])


def downgrade() -> None:
    op.drop_table("article_tags")
    op.drop_table("tags")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
