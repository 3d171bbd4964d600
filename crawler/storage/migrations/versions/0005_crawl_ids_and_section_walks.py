"""crawl_runs.crawl_id/host/pid and section_walks.

- ``crawl_runs.crawl_id`` ties together the rows of the worker processes of one crawl on a
  shared Redis frontier (one row per process), so ``GROUP BY crawl_id`` sums a whole crawl;
  a one-process crawl gets an id of its own.
- ``crawl_runs.host``/``pid`` say which process a ``running`` row belongs to, so that the next
  start can mark the runs of processes that died (``failed``, "process gone").
- ``section_walks`` remembers, per section, how deep the last walk of its list pages went and
  whether it caught up with what the portal lists, so that a run after an interrupted or
  shallow one continues where that one stopped instead of stopping at the first known page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.storage.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("crawl_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.create_index("ix_crawl_runs_crawl_id", ["crawl_id"])
    op.create_table(
        "section_walks",
        sa.Column("portal", sa.String(200), primary_key=True),
        sa.Column("section_url", sa.String(2000), primary_key=True),
        sa.Column("caught_up", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("resume_depth", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_depth", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("section_walks")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_index("ix_crawl_runs_crawl_id")
        batch.drop_column("pid")
        batch.drop_column("host")
        batch.drop_column("crawl_id")
