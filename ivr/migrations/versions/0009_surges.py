"""Surges: callers' callback requests with every try, incident notices, callers who left informed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("linkedid", sa.String(64), nullable=False, unique=True),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("line", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
    )
    op.create_index("ix_callbacks_status_next", "callbacks", ["status", "next_try_at"])
    op.create_table(
        "callback_tries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("callback_id", sa.Integer(), sa.ForeignKey("callbacks.id"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("linkedid", sa.String(64), nullable=False),
    )
    op.create_index("ix_callback_tries_callback", "callback_tries", ["callback_id"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("prompt", sa.String(120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("queues", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_by", sa.String(64), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "left_informed",
        sa.Column("linkedid", sa.String(64), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("line", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("notice", sa.String(120), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("left_informed")
    op.drop_table("notices")
    op.drop_index("ix_callback_tries_callback", table_name="callback_tries")
    op.drop_table("callback_tries")
    op.drop_index("ix_callbacks_status_next", table_name="callbacks")
    op.drop_table("callbacks")
