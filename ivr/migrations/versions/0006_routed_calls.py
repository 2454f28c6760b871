"""The routing engine's call log in the database: every call decided (time, number dialled,
caller, where it went under which rules), for the impact preview of a rules change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routed_calls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(80), nullable=False, unique=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("line", sa.String(40), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("rules_sha256", sa.String(64), nullable=False),
        sa.Column("route", sa.String(160), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
    )
    op.create_index("ix_routed_calls_at", "routed_calls", ["at"])


def downgrade() -> None:
    op.drop_index("ix_routed_calls_at", table_name="routed_calls")
    op.drop_table("routed_calls")
