"""Every caller counted: the queue's door on the calls.

* ``calls.door_at``: when a caller routed to a queue reached its door, before anything they hear
  there (the greeting, an incident notice, the callback offer): such a call is offered whatever
  became of it. ``joined_at``: when it first joined a queue (its wait is counted from there).
  ``stage``: where a caller who hung up unanswered was. The outcomes grow (ivr.core.kpi).
  Calls recorded before: each joined a queue when it was first recorded, so its door and its
  joining are taken as that moment, except the centre's own callback calls (their linkedid is a
  callback try's), which were never offered.
* the report's covering index carries the new columns it groups and filters on.
* ``callbacks.verdict`` (what the per-number rule decided and the caller was told: accept, join,
  refuse_today, refuse_number) and ``joined_to`` (a request joined to the number's open one); an
  index on (number, requested_at) for the rule's reading of a number's requests.
* the call log's lines wait for Asterisk's own record of their call before they feed the impact
  preview (``call_log_pending``, ``asterisk_calls``), and the lines dropped unmatched are counted
  per day (``call_log_dropped``): forged FastAGI sessions no longer reach ``routed_calls``.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CALL_REPORT_BEFORE = ["line", "department", "outcome"]
CALL_REPORT = ["line", "department", "outcome", "stage", "door_at"]


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("door_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("joined_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("stage", sa.String(16), nullable=True))
    op.execute("UPDATE calls SET joined_at = started_at")
    op.execute("UPDATE calls SET door_at = started_at WHERE linkedid NOT IN "
               "(SELECT linkedid FROM callback_tries WHERE linkedid <> '')")
    op.drop_index("ix_calls_report", table_name="calls")
    op.create_index("ix_calls_report", "calls", ["started_at", *CALL_REPORT])
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("verdict", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("joined_to", sa.Integer(), nullable=True))
    op.create_index("ix_callbacks_number_requested", "callbacks", ["number", "requested_at"])
    op.create_table(
        "call_log_pending",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("line", sa.String(40), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("rules_sha256", sa.String(64), nullable=False),
        sa.Column("route", sa.String(160), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_call_log_pending_call", "call_log_pending", ["call_id"])
    op.create_index("ix_call_log_pending_taken", "call_log_pending", ["taken_at"])
    op.create_table(
        "asterisk_calls",
        sa.Column("uniqueid", sa.String(80), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("line", sa.String(40), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_asterisk_calls_read", "asterisk_calls", ["read_at"])
    op.create_table(
        "call_log_dropped",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("lines", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("call_log_dropped")
    op.drop_index("ix_asterisk_calls_read", table_name="asterisk_calls")
    op.drop_table("asterisk_calls")
    op.drop_index("ix_call_log_pending_taken", table_name="call_log_pending")
    op.drop_index("ix_call_log_pending_call", table_name="call_log_pending")
    op.drop_table("call_log_pending")
    op.drop_index("ix_callbacks_number_requested", table_name="callbacks")
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("joined_to")
        batch.drop_column("verdict")
    op.drop_index("ix_calls_report", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("stage")
        batch.drop_column("joined_at")
        batch.drop_column("door_at")
    op.create_index("ix_calls_report", "calls", ["started_at", *CALL_REPORT_BEFORE])
