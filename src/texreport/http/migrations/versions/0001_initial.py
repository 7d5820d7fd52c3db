"""The schema of texreport 0.1.0 (what its ``create_all`` made): sessions, answers, reports, pdfs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SESSION = "texreport_sessions.session_id"


def upgrade() -> None:
    op.create_table(
        "texreport_sessions",
        sa.Column("session_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("total_questions", sa.Integer, nullable=False),
        sa.Column("overall_score", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "texreport_answers",
        sa.Column("session_id", sa.String(128), sa.ForeignKey(_SESSION, ondelete="CASCADE"), primary_key=True),
        sa.Column("question_index", sa.Integer, primary_key=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("feedback", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "texreport_reports",
        sa.Column("session_id", sa.String(128), sa.ForeignKey(_SESSION, ondelete="CASCADE"), primary_key=True),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "texreport_pdfs",
        sa.Column("session_id", sa.String(128), sa.ForeignKey(_SESSION, ondelete="CASCADE"), primary_key=True),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("etag", sa.String(80), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
