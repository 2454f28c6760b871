"""The year's report from a daily summary: ``daily_figures`` keeps each day's additive figures per
line, department and unit (ivr.core.kpi.Figures, one column each), written in the same transaction
as every call and order that changes them; ``daily_figures_counted`` names the days counted again
from the raw rows. The report reads only those days from the summary, so a database upgraded
with a history reports exactly as before (from the raw rows) until its days are counted: the
nightly recount counts yesterday, ``ivr report --recount FIRST..LAST`` the history.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FIGURE_COLUMNS = ("offered", "answered", "called_back", "callbacks", "left_informed", "abandoned",
                  "abandoned_before_queue", "received", "on_the_spot", "dispatched", "replied", "on_time",
                  "rated", "rating_sum", "overdue", "answered_within", "answer_wait")


def upgrade() -> None:
    op.create_table(
        "daily_figures",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("line", sa.String(32), primary_key=True),
        sa.Column("department", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(64), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in FIGURE_COLUMNS),
    )
    op.create_table(
        "daily_figures_counted",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("counted_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("daily_figures_counted")
    op.drop_table("daily_figures")
