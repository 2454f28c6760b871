"""Retention of citizens' numbers in the database: each store of numbers is emptied of them
after its own period, the removals counted (the scheduler logs the counts).

    sweep_numbers(engine, now, call_log_days, order_days) -> {store: rows}

* the call log as the impact preview reads it (``routed_calls``) and its intake tables
  (``call_log_pending``, ``asterisk_calls``): rows older than ``call_log_days`` are deleted
  (the setting is at least the preview's 90 days);
* work orders and callback requests older than ``order_days`` (the centre's archive period):
  the caller's number is removed, the matter (line, department, category, words, deadlines,
  outcome) stays for the statistics;
* failed logins that no longer count, and console sessions opened more than 30 days ago (kept
  that long to know each person's usual addresses).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.orm import sessionmaker

from ivr.core import staff
from ivr.store.console_sessions import USUAL_FOR
from ivr.store.models import LoginFailureRow, RoutedCallRow, TicketRow
from ivr.store.models_call_log import AsteriskCallRow, CallLogPendingRow
from ivr.store.models_console import ConsoleSessionRow
from ivr.store.models_surges import CallbackRow
from ivr.store.sessions import transaction


def sweep_numbers(engine: Engine, now: datetime, call_log_days: int, order_days: int) -> dict[str, int]:
    """Remove what is past its period at ``now``; returns the rows touched per store."""
    calls_before = now - timedelta(days=call_log_days)
    orders_before = now - timedelta(days=order_days)
    counts: dict[str, int] = {}
    with transaction(sessionmaker(engine), "retention") as session:
        def run(name: str, statement) -> None:
            counts[name] = session.execute(statement).rowcount or 0

        run("routed_calls", delete(RoutedCallRow).where(RoutedCallRow.at < calls_before))
        run("call_log_pending", delete(CallLogPendingRow).where(CallLogPendingRow.at < calls_before))
        run("asterisk_calls", delete(AsteriskCallRow).where(AsteriskCallRow.at < calls_before))
        run("orders", update(TicketRow).where(TicketRow.created_at < orders_before, TicketRow.caller != "")
            .values(caller=""))
        run("callbacks", update(CallbackRow).where(CallbackRow.requested_at < orders_before,
                                                   (CallbackRow.caller != "") | (CallbackRow.number != ""))
            .values(caller="", number=""))
        run("login_failures", delete(LoginFailureRow)
            .where(LoginFailureRow.last_failure_at < now - staff.FORGET_AFTER))
        run("console_sessions", delete(ConsoleSessionRow).where(ConsoleSessionRow.created_at < now - USUAL_FOR))
    return counts
