"""crawl_runs.drops: the items of a run that were not stored, by reason.

A JSON object such as ``{"not_an_article": 3, "duplicate_on_portal": 12}`` (see
``pipelines/drops.py``), so that a run's items add up: stored new, stored duplicates and
dropped, each drop with its reason. NULL for runs recorded before this column existed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("drops", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("drops")
