"""Recording checks: each answered call's recording held against its talk time (short, empty,
unreadable or missing recordings flagged on the order, with the figures).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recording_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("recorded_seconds", sa.Float(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_recording_checks_verdict", "recording_checks", ["verdict", "checked_at"])


def downgrade() -> None:
    op.drop_index("ix_recording_checks_verdict", table_name="recording_checks")
    op.drop_table("recording_checks")
