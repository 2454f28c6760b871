"""Supervisors and auditors: legal holds on recordings, quality-inspection scores, and the head
of the recordings' access log (the last entry's number and hash, kept apart from the log file so
that entries cut from its end are found too).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_legal_holds_path", "legal_holds", ["path"])
    op.create_table(
        "quality_scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("auditor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("sheet_version", sa.String(32), nullable=False),
        sa.Column("marks", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
    )
    op.create_index("ix_quality_scores_agent_at", "quality_scores", ["agent", "at"])
    op.create_index("ix_quality_scores_number", "quality_scores", ["number"])
    op.create_table(
        "audit_heads",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_heads")
    op.drop_index("ix_quality_scores_number", table_name="quality_scores")
    op.drop_index("ix_quality_scores_agent_at", table_name="quality_scores")
    op.drop_table("quality_scores")
    op.drop_index("ix_legal_holds_path", table_name="legal_holds")
    op.drop_table("legal_holds")
