"""Views for people writing SQL: article_view, reprint_stats, story_view.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _agg(dialect: str, expression: str) -> str:
    """Comma list of distinct values, in each backend's spelling."""
    if dialect == "postgresql":
        return f"string_agg(DISTINCT {expression}, ',')"
    return f"group_concat(DISTINCT {expression})"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    tags = {
        kind: f"""(SELECT {_agg(dialect, 't.name')} FROM article_tags at
                  JOIN tags t ON t.id = at.tag_id
                  WHERE at.article_id = a.id AND t.kind = '{kind}')"""
        for kind in ("industry", "company", "keyword")
    }
    op.execute(f"""
        CREATE VIEW article_view AS
        SELECT a.id, a.url, a.portal, a.section, a.title, a.published_at, a.author,
               a.source, a.source_url, a.is_reprint,
               a.duplicate_of, (a.duplicate_of IS NOT NULL) AS is_duplicate,
               COALESCE(a.duplicate_of, a.id) AS story_id,
               {tags['industry']} AS industries,
               {tags['company']} AS companies,
               {tags['keyword']} AS keywords,
               a.first_seen_at, a.crawl_run_id
        FROM articles a
    """)
    op.execute("""
        CREATE VIEW reprint_stats AS
        SELECT portal, source, is_reprint,
               count(*) AS articles,
               sum(CASE WHEN duplicate_of IS NOT NULL THEN 1 ELSE 0 END) AS duplicates,
               min(published_at) AS first_published_at,
               max(published_at) AS last_published_at
        FROM articles
        GROUP BY portal, source, is_reprint
    """)
    op.execute(f"""
        CREATE VIEW story_view AS
        SELECT f.id AS story_id, f.title, f.portal AS first_portal, f.source AS first_source,
               f.published_at AS first_published_at,
               count(c.id) AS copies,
               count(DISTINCT c.portal) AS portals,
               {_agg(dialect, 'c.portal')} AS portal_list
        FROM articles f
        JOIN articles c ON c.id = f.id OR c.duplicate_of = f.id
        WHERE f.duplicate_of IS NULL
        GROUP BY f.id, f.title, f.portal, f.source, f.published_at
    """)


def downgrade() -> None:
    for view in ("story_view", "reprint_stats", "article_view"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
