"""Compile leases: several instances on one database compile each PDF once.

Revision ID: 0002
Revises: 0001
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
        "texreport_leases",
        sa.Column("session_id", sa.String(128), sa.ForeignKey("texreport_sessions.session_id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("cache_key", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(96), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
