"""What supervisors and auditors read and record in the database: the day's calls with their whole
wait, recorded calls searched with hostile text, low ratings, legal holds, quality scores."""
from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.core import quality
from ivr.errors import AuditError, QualityError
from ivr.store.audit import AuditStore
from support import at

T0 = at("2020-06-01 10:00")
CALL = dict(line="051380000304", department="water", mode="dedicated")
SHEET = quality.parse_sheet({"version": "t1", "criteria": [{"id": "a", "name_zh": "甲", "weight": 100}]})


def test_the_day_s_calls_carry_the_whole_wait_overflow_included(store):
    store.record_call("1.1", at=T0 - timedelta(seconds=4), outcome="offered", queue="seat_water", door=True, **CALL)
    store.record_call("1.1", at=T0, outcome="offered", queue="seat_water", joined=True, **CALL)
    store.record_call("1.1", at=T0 + timedelta(seconds=20), outcome="offered", queue="q12345", joined=True, **CALL)
    store.create_ticket_for_answer("1.1", at=T0 + timedelta(seconds=26), queue="q12345", agent="agent1",
                                   wait_seconds=6, **CALL)   # HoldTime of the second queue only
    store.record_call("1.2", at=T0 + timedelta(minutes=1), outcome="abandoned", queue="q12345",
                      wait_seconds=31, door=True, joined=True, **CALL)
    store.record_call("1.3", at=T0 - timedelta(days=1), outcome="offered", queue="q12345", door=True, **CALL)
    calls = store.calls_between(at("2020-06-01 00:00"), at("2020-06-02 00:00"))
    assert [(c.queue, c.outcome, c.wait_seconds) for c in calls] == [("q12345", "answered", 26),
                                                                     ("q12345", "abandoned", 31)]
    # the day counts a call from its door; the wait is in the queues, from the first joined
    assert calls[0].started_at == T0 - timedelta(seconds=4) and calls[0].started_at.tzinfo is not None


def test_recorded_calls_are_searched_exactly_and_a_caller_s_wildcards_mean_themselves(store):
    for n, caller in enumerate(("13905130011", "13905130%22", "13905139999")):
        store.create_ticket_for_answer(f"2.{n}", at=T0 + timedelta(minutes=n), caller=caller, agent=f"agent{n + 1}",
                                       recording_path=f"/rec/2020/06/01/2.{n}.wav", **CALL)
    store.create_ticket_for_answer("2.9", at=T0, caller="13905130011", agent="agent1", **CALL)  # no recording
    assert [t.caller for t in store.with_recordings(caller="5130")] == ["13905130%22", "13905130011"]
    assert [t.caller for t in store.with_recordings(caller="%")] == ["13905130%22"]
    assert [t.caller for t in store.with_recordings(caller="_")] == []
    assert [t.agent for t in store.with_recordings(agent="agent3")] == ["agent3"]
    assert store.with_recordings(line="' OR 1=1 --") == []
    assert len(store.with_recordings(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2))) == 1


def test_low_ratings_for_a_call_back(store):
    for n, rating in enumerate((1, 2, 5)):
        ticket, _ = store.create_ticket_for_answer(f"3.{n}", at=T0, agent="agent1", **CALL)
        store.rate(ticket.number, rating, T0 + timedelta(minutes=n))
    rated = store.rated(frozenset({1, 2}), since=T0 - timedelta(days=30))
    assert [t.order.rating for t in rated] == [2, 1]


def test_legal_holds_are_kept_with_who_and_when(store):
    audit = AuditStore(store.engine, store.tz)
    with pytest.raises(AuditError):
        audit.hold("12345-20200601-000001", "2020/06/01/a.wav", "   ", "chen", T0)
    hold = audit.hold("12345-20200601-000001", "2020/06/01/a.wav", "投诉调查 2020-017", "chen", T0)
    assert audit.hold("12345-20200601-000001", "2020/06/01/a.wav", "again", "zhou", T0) == hold
    assert audit.held_paths() == {"2020/06/01/a.wav"}
    released = audit.release("2020/06/01/a.wav", "zhou", T0 + timedelta(days=3))
    assert [(h.set_by, h.released_by) for h in released] == [("chen", "zhou")]
    assert audit.held_paths() == set() and not audit.holds("2020/06/01/a.wav")[0].active


def test_quality_scores_keep_their_marks_and_sheet(store):
    audit = AuditStore(store.engine, store.tz)
    made = audit.add_score(SHEET, "12345-20200601-000001", "agent1", "chen", {"a": "4"}, "好", T0)
    assert (made.score, made.marks, made.sheet_version, made.at) == (80.0, {"a": 4}, "t1", T0)
    with pytest.raises(QualityError):
        audit.add_score(SHEET, "12345-20200601-000001", "agent1", "chen", {"a": "9"}, "", T0)
    with pytest.raises(QualityError, match="at most 1000"):
        audit.add_score(SHEET, "12345-20200601-000001", "agent1", "chen", {"a": "1"}, "长" * 1001, T0)
    assert [s.score for s in audit.scores(since=T0, until=T0 + timedelta(days=1))] == [80.0]
    assert audit.scores(number="12345-20200601-000002") == []
