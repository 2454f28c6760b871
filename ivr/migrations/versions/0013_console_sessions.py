"""The console's sessions held on the server (``console_sessions``): the cookie names a row, and
logging out, a password change or disabling a user ends the row, so an old cookie no longer opens
anything. The rows also say from which addresses a person usually logs in, which the login
throttle uses so that a stranger's failures do not lock that person out.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_why", sa.String(16), nullable=False),
    )
    op.create_index("ix_console_sessions_user", "console_sessions", ["username", "address"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_table("console_sessions")
