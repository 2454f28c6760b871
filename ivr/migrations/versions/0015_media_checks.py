"""Media checks: each answered call's RTP figures per leg, a MOS estimate per direction, and the
side found silent (one-way audio), on the call and its work order.

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("linkedid", sa.String(64), nullable=False, unique=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True,
                  unique=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("trunk", sa.String(64), nullable=False),
        sa.Column("caller_packets", sa.Integer(), nullable=True),
        sa.Column("caller_lost", sa.Integer(), nullable=True),
        sa.Column("agent_packets", sa.Integer(), nullable=True),
        sa.Column("agent_lost", sa.Integer(), nullable=True),
        sa.Column("jitter_ms", sa.Float(), nullable=True),
        sa.Column("rtt_ms", sa.Float(), nullable=True),
        sa.Column("agent_heard_loss", sa.Float(), nullable=True),
        sa.Column("caller_heard_loss", sa.Float(), nullable=True),
        sa.Column("agent_heard_mos", sa.Float(), nullable=True),
        sa.Column("caller_heard_mos", sa.Float(), nullable=True),
        sa.Column("mos", sa.Float(), nullable=True),
        sa.Column("silent", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
    )
    op.create_index("ix_media_checks_agent", "media_checks", ["agent", "checked_at"])
    op.create_index("ix_media_checks_trunk", "media_checks", ["trunk", "checked_at"])
    op.create_index("ix_media_checks_checked_at", "media_checks", ["checked_at"])


def downgrade() -> None:
    op.drop_index("ix_media_checks_checked_at", table_name="media_checks")
    op.drop_index("ix_media_checks_trunk", table_name="media_checks")
    op.drop_index("ix_media_checks_agent", table_name="media_checks")
    op.drop_table("media_checks")
