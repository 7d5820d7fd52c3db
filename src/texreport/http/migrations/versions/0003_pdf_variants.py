"""PDF variants: a session's cache holds one PDF per cache key (language, theme), least recently used dropped.

``texreport_pdfs`` was keyed by ``session_id`` alone (one PDF per session, so
alternating ``?lang=`` or ``?theme=`` recompiled every time); it becomes keyed by
``(session_id, cache_key)`` with ``used_at``, the time a variant was last served.
Cached PDFs are kept (``used_at`` starts at their ``created_at``). The table is
rebuilt under a new name and renamed, the one way that is the same on SQLite
(no ALTER of a primary key) and PostgreSQL.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COPIED = "session_id, cache_key, etag, size, pdf, created_at"


def upgrade() -> None:
    op.create_table(
        "texreport_pdfs_0003",
        sa.Column("session_id", sa.String(128), sa.ForeignKey("texreport_sessions.session_id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("etag", sa.String(80), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "cache_key", name="texreport_pdf_variants_pkey"),
    )
    op.execute(f"INSERT INTO texreport_pdfs_0003 ({_COPIED}, used_at) SELECT {_COPIED}, created_at FROM texreport_pdfs")
    op.drop_table("texreport_pdfs")
    op.rename_table("texreport_pdfs_0003", "texreport_pdfs")
