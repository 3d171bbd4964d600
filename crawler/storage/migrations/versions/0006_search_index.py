"""Full-text search over articles' title and body (``portal search``) and ``run_coverage``.

- ``run_coverage``: per run and portal, the share of stored articles with each field and the
  list-page yield (crawler.runs.coverage), for the extraction health alarm of ``--status``.

- SQLite: an FTS5 table ``articles_fts`` with the trigram tokenizer (Chinese has no spaces to
  split words on; trigrams match any substring of 3+ characters), an external-content table
  over ``articles`` kept current by triggers, so the storage code writes ``articles`` as
  before; filled from the existing rows here.
- PostgreSQL: ``pg_trgm`` and a GIN trigram index on ``title || ' ' || body``; PostgreSQL
  maintains and fills it itself. Without the right to create the extension the index is left
  out and search still works, by a sequential scan.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

from crawler.storage.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='articles', "
    "content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, body ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",  # backfill
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]
PG_INDEX = ("CREATE INDEX IF NOT EXISTS ix_articles_text_trgm ON articles "
            "USING gin ((title || ' ' || body) gin_trgm_ops)")


def upgrade() -> None:
    op.create_table(
        "run_coverage",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("portal", sa.String(200), primary_key=True),
        sa.Column("articles", sa.Integer(), nullable=False, server_default="0"),
        *(sa.Column(name, sa.Float(), nullable=True)
          for name in ("title", "published_at", "author", "source", "body")),
        sa.Column("list_pages", sa.Integer(), nullable=True),
        sa.Column("article_links", sa.Integer(), nullable=True),
        sa.Column("yield_per_page", sa.Float(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_run_coverage_portal_run", "run_coverage", ["portal", "run_id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                op.execute(PG_INDEX)
        except DBAPIError:  # no right to create extensions: search scans instead
            pass


def downgrade() -> None:
    op.drop_index("ix_run_coverage_portal_run", table_name="run_coverage")
    op.drop_table("run_coverage")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_text_trgm")
