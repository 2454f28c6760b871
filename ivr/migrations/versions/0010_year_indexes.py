"""Indexes for a province's year of orders: the staff's lists and searches read a page of the
newest orders that match a filter, which without these meant sorting every matching order of
the year (hundreds of thousands on PostgreSQL with ten million calls) to show a hundred.

* the console's and the supervisors' lists filter on status, department or unit and show the
  newest first: (column, created_at) replaces the single-column status and unit indexes;
* the supervision list (escalated or re-dispatched) and the overdue list: partial indexes on
  created_at over just those orders, a few per cent of the year;
* the call-back list (rated 1 or 2 lately): rated_at;
* the auditors' search by any part of the caller's number: a trigram index on PostgreSQL (when
  pg_trgm is available, as for the knowledge base), which LIKE '%...%' uses;
* ``ivr report`` counts every order and call of its period: covering indexes on the time with
  the columns it groups and counts, so that it reads a narrow index instead of the whole rows
  (an index-only scan on PostgreSQL, a covering index on SQLite; plain key columns on both,
  SQLite having no INCLUDE);
* PostgreSQL: statistics on how many (line, department, unit) groups there are. Without them the
  planner multiplies the columns' own counts, expects about a million groups where a year has a
  couple of thousand, and sorts ten million rows on disk instead of hashing them (33 s against
  10 s for the year's report on ten million calls).

Index builds on a large table take longer than the store's statement timeout, so PostgreSQL
lifts it for this migration's transaction.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LATE = "overdue OR sign_late"
UNDER_SUPERVISION = "escalated OR supervised"
ORDER_REPORT = ["line", "department", "unit", "status", "dispatch_count", "replied_at", "replied_on_time",
                "rating", "overdue", "sign_late"]
CALL_REPORT = ["line", "department", "outcome"]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("SET LOCAL statement_timeout = 0")
    op.drop_index("ix_tickets_status", table_name="tickets")
    op.drop_index("ix_tickets_unit", table_name="tickets")
    op.create_index("ix_tickets_status_created", "tickets", ["status", "created_at"])
    op.create_index("ix_tickets_unit_created", "tickets", ["unit", "created_at"])
    op.create_index("ix_tickets_department_created", "tickets", ["department", "created_at"])
    op.create_index("ix_tickets_late_created", "tickets", ["created_at"], sqlite_where=sa.text(LATE),
                    postgresql_where=sa.text(LATE))
    op.create_index("ix_tickets_supervision_created", "tickets", ["created_at"],
                    sqlite_where=sa.text(UNDER_SUPERVISION), postgresql_where=sa.text(UNDER_SUPERVISION))
    op.create_index("ix_tickets_rated_at", "tickets", ["rated_at"])
    op.create_index("ix_tickets_report", "tickets", ["created_at", *ORDER_REPORT])
    op.create_index("ix_calls_report", "calls", ["started_at", *CALL_REPORT])
    if bind.dialect.name == "postgresql":
        # the report's GROUP BY keys, as the store writes them (expressions need PostgreSQL 14)
        unit = "(CASE WHEN dispatch_count > 0 THEN unit END)" \
            if (bind.dialect.server_version_info or (0,)) >= (14,) else "unit"
        op.execute(f"CREATE STATISTICS st_tickets_report (ndistinct) ON line, department, {unit} FROM tickets")
        op.execute("CREATE STATISTICS st_calls_report (ndistinct) ON line, department, outcome FROM calls")
        schema = bind.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'").scalar()
        if schema:
            op.execute(f'CREATE INDEX ix_tickets_caller_trgm ON tickets USING gin (caller "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql("DROP INDEX IF EXISTS ix_tickets_caller_trgm")
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP STATISTICS IF EXISTS st_tickets_report, st_calls_report")
    op.drop_index("ix_calls_report", table_name="calls")
    op.drop_index("ix_tickets_report", table_name="tickets")
    for name in ("ix_tickets_rated_at", "ix_tickets_supervision_created", "ix_tickets_late_created",
                 "ix_tickets_department_created", "ix_tickets_unit_created", "ix_tickets_status_created"):
        op.drop_index(name, table_name="tickets")
    op.create_index("ix_tickets_unit", "tickets", ["unit"])
    op.create_index("ix_tickets_status", "tickets", ["status"])

