"""An index on the caller's number: the agent's screen pop looks up the caller's earlier orders
on every answered call, so that lookup must not scan a year of a province's orders.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_caller_created", "tickets", ["caller", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_caller_created", table_name="tickets")
