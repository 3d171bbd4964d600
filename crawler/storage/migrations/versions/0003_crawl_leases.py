"""crawl_leases: one row per portal being crawled, so two schedulers never crawl it at once.

The row expires unless its holder renews it (heartbeat), so a crashed scheduler cannot keep a
portal locked. Also documents that ``crawl_runs.status`` may be ``skipped`` (a scheduled run
that did not start because another crawl of the portal held the lease); the column is a plain
string, so no schema change is needed for that value.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from crawler.storage.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_leases",
        sa.Column("portal", sa.String(200), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crawl_leases")
