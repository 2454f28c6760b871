"""The work-order form: title, description, place and article on the order; unsaved drafts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("title", sa.String(100), nullable=True))
    op.add_column("tickets", sa.Column("description", sa.Text(), nullable=True))
    op.add_column("tickets", sa.Column("place", sa.String(200), nullable=True))
    op.add_column("tickets", sa.Column("kb_article", sa.String(64), nullable=True))
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("number", "username", name="uq_drafts_number_user"),
    )


def downgrade() -> None:
    op.drop_table("drafts")
    with op.batch_alter_table("tickets") as batch:
        for column in ("kb_article", "place", "description", "title"):
            batch.drop_column(column)
