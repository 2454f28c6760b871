"""The preview's calls on SQLite and PostgreSQL: a call-log line joins them only with Asterisk's own
record of its call (same id, same number); forged lines wait, then are dropped and counted per day."""
from __future__ import annotations

from datetime import timedelta

from support import at

from ivr.store.routed_calls import GRACE, RoutedCalls

T0 = at("2026-03-10 10:00")


def line(call_id: str, number: str = "80000401", caller: str = "13900000001", when=T0) -> dict:
    return {"call_id": call_id, "at": when, "line": number, "caller": caller, "rules_sha256": "ab" * 32,
            "route": "queue:q12345", "mode": "forward", "department": "transport"}


def record(uniqueid: str, number: str = "80000401", caller: str = "13900000001") -> dict:
    return {"uniqueid": uniqueid, "at": T0, "line": number, "caller": caller}


def test_lines_join_asterisks_records_and_the_rest_is_dropped_and_counted(store):
    calls = RoutedCalls(store.engine)
    now = T0
    # a record before its line, a line before its record, forged lines, one claiming a real id
    step = calls.take_in([line("1.2"), line(f"9.{0}"), line("9.1"), line("1.1", number="12345", caller="1")],
                         [record("1.1", caller="13900000009")], now)
    assert (step.joined, step.dropped) == (0, 0) and calls.pending() == 4
    step = calls.take_in([line("1.1"), line("1.1")], [record("1.2")], now + timedelta(seconds=1))
    assert (step.joined, step.dropped) == (2, 0)
    joined = {c.id: (c.line, c.caller) for c in calls.between(T0 - timedelta(hours=1))}
    assert joined == {"1.1": ("80000401", "13900000009"), "1.2": ("80000401", "13900000001")}
    assert calls.pending() == 3                                   # two forged ids, the forged 1.1 (other number)
    step = calls.take_in([line("1.1")], [record("1.1")], now + timedelta(seconds=2))   # a replay: nothing new
    assert step.joined == 0 and calls.count(T0 - timedelta(hours=1)) == 2
    step = calls.take_in([], [], now + GRACE + timedelta(seconds=3))
    assert step.dropped == 3 and calls.pending() == 0            # 9.0, 9.1 and the forged 1.1
    calls.take_in([line("9.9", when=T0 + timedelta(days=1))], [], now + timedelta(days=1))
    calls.take_in([], [], now + timedelta(days=1) + GRACE + timedelta(seconds=1))
    assert (calls.dropped_since(T0), calls.dropped_since(T0 + timedelta(days=1))) == (4, 1)
