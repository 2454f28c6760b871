"""Callback requests, their tries and notices in the database (SQLite and PostgreSQL): one request
per call whatever the facts' replays, hostile numbers refused, every try kept, a stopped engine's
ringing try closed as interrupted, and the spool carrying the callers' choices unchanged."""
from __future__ import annotations

from datetime import timedelta

import pytest
from support import at

from ivr.spool import decode, encode
from ivr.core import call_events as ce
from ivr.core import callbacks as cb
from ivr.core.callbacks import CallbackPolicy
from ivr.store.surges import SurgeError, SurgeStore

T0 = at("2020-09-09 19:05")
POLICY = CallbackPolicy(tries=2, retry_after_s=60)


@pytest.fixture
def surges(store) -> SurgeStore:
    return SurgeStore(store.engine)


DAY = at("2020-09-09 00:00")


def ask(surges, linkedid="1700.1", caller="13900000001", when=T0, heard="", per_day=3):
    return surges.request_callback(linkedid, queue="seat_water", caller=caller, area_code="0513",
                                   line="051380000304", department="water", via="queue_key", at=when,
                                   day_start=when.replace(hour=0, minute=0, second=0), per_day=per_day, heard=heard)


def test_one_request_per_call_and_every_try_kept(surges):
    first, created = ask(surges)
    again, created_again = ask(surges)
    assert (created, created_again, again.id) == (True, False, first.id)
    assert [c.id for c in surges.due(T0)] == [first.id]
    assert surges.start_try(first.id, T0) == 1
    assert surges.due(T0 + timedelta(hours=1)) == []                 # ringing: not due twice
    with pytest.raises(SurgeError, match="not waiting"):
        surges.start_try(first.id, T0)                               # a second worker cannot dial it too
    waiting = surges.finish_try(first.id, "no_answer", False, POLICY, T0 + timedelta(seconds=30))
    assert (waiting.status, waiting.next_try_at) == ("waiting", T0 + timedelta(seconds=90))
    assert surges.due(T0 + timedelta(seconds=89)) == []
    assert surges.start_try(first.id, T0 + timedelta(seconds=90)) == 2
    failed = surges.finish_try(first.id, "busy", False, POLICY, T0 + timedelta(seconds=100))
    assert (failed.status, failed.closed_at) == ("failed", T0 + timedelta(seconds=100))
    kept = surges.callback_of("1700.1")
    assert [(a["attempt"], a["outcome"]) for a in kept.attempts] == [(1, "no_answer"), (2, "busy")]
    assert "not answered after 2 tries" in kept.reason
    with pytest.raises(SurgeError):
        surges.start_try(first.id, T0)                               # closed: never dialled again


@pytest.mark.parametrize("caller", ["0010123456789", "110", "+1 212 555 0100", "", "02580000101"])
def test_a_number_the_plan_does_not_permit_is_recorded_refused_and_never_due(surges, caller):
    request, _ = ask(surges, caller=caller)
    assert (request.status, request.number) == ("refused", "")
    assert caller == "" or repr(caller) in request.reason
    assert surges.due(T0 + timedelta(days=1)) == []


def test_a_try_left_ringing_by_a_stopped_engine_is_closed_as_interrupted(surges):
    request, _ = ask(surges)
    surges.start_try(request.id, T0)
    [resumed] = surges.interrupted(POLICY, T0 + timedelta(minutes=5))
    assert (resumed.status, resumed.tries) == ("waiting", 1)
    assert surges.callback_of("1700.1").attempts[0]["outcome"] == "interrupted"
    assert surges.interrupted(POLICY, T0 + timedelta(minutes=6)) == []


def test_answered_closes_the_request(surges):
    request, _ = ask(surges)
    surges.start_try(request.id, T0)
    done = surges.finish_try(request.id, "answered", True, POLICY, T0 + timedelta(seconds=20), "1700.9")
    assert (done.status, done.closed_at) == ("answered", T0 + timedelta(seconds=20))
    assert surges.callback_of("1700.1").attempts[0]["linkedid"] == "1700.9"


def test_left_informed_counts_once_per_call(surges):
    assert surges.left_informed("1700.5", at=T0, line="051380000304", queue="seat_water", notice="hotline/n")
    assert not surges.left_informed("1700.5", at=T0, line="051380000304", queue="seat_water", notice="hotline/n")
    assert surges.left_informed_since(T0) == 1 and surges.left_informed_since(T0 + timedelta(seconds=1)) == 0


def test_a_notice_ended_early_closes_its_window(surges):
    notice = surges.add_notice(prompt="hotline/n1", text="停水", lines=["051380000304"], queues=[],
                               starts_at=T0, ends_at=T0 + timedelta(hours=3), by="wang", at=T0)
    ended = surges.end_notice(notice.id, "li", T0 + timedelta(hours=1))
    assert ended.notice().ends_at == T0 + timedelta(hours=1) and ended.ended_by == "li"
    with pytest.raises(SurgeError, match="until"):
        surges.add_notice(prompt="hotline/n2", text="x", lines=["12345"], queues=[], starts_at=T0,
                          ends_at=T0, by="wang", at=T0)


@pytest.mark.parametrize("fact", [
    ce.CallbackAsked(ce.CallInfo("1700.1", "1700.1", "13900000001", "051380000304"), "seat_water", "notice_key", T0),
    ce.LeftInformed(ce.CallInfo("1700.2", "1700.2", "13900000002"), "seat_water", "hotline/n1", T0),
])
def test_the_spool_keeps_the_callers_choices(fact):
    assert decode(encode(fact)) == fact


def test_one_open_request_per_number_and_a_daily_ceiling(surges, store):
    """A number pressing 2 in call after call: one request waits, the others join it; once it is
    done the next waits again, until the day's ceiling; the next day the count starts again."""
    first, _ = ask(surges, "1.1")
    joined, _ = ask(surges, "1.2", caller="+86 139 0000 0001", when=T0 + timedelta(seconds=2))  # the same number
    assert (first.status, first.verdict) == ("waiting", "accept")
    assert (joined.status, joined.verdict, joined.joined_to, joined.closed_at) == \
        ("joined", "join", first.id, T0 + timedelta(seconds=2))
    assert "joined to request" in joined.reason and [c.id for c in surges.due(T0 + timedelta(hours=1))] == [first.id]
    surges.start_try(first.id, T0 + timedelta(minutes=1))
    surges.finish_try(first.id, "answered", True, POLICY, T0 + timedelta(minutes=2))
    second, _ = ask(surges, "1.3", when=T0 + timedelta(minutes=3))
    assert second.status == "waiting"
    surges.start_try(second.id, T0 + timedelta(minutes=4))
    surges.finish_try(second.id, "no_answer", False, CallbackPolicy(tries=1), T0 + timedelta(minutes=5))
    third, _ = ask(surges, "1.4", when=T0 + timedelta(minutes=6), per_day=2)
    assert (third.status, third.verdict, third.closed_at) == ("refused", "refuse_today", T0 + timedelta(minutes=6))
    assert "asked too often" in third.reason and surges.due(T0 + timedelta(days=1)) == []
    histories = surges.number_histories(DAY)
    assert histories == {"13900000001": cb.NumberHistory(None, 2)}
    assert surges.number_histories(DAY + timedelta(days=1)) == {}
    tomorrow, _ = ask(surges, "1.5", when=T0 + timedelta(days=1), per_day=2)
    assert tomorrow.status == "waiting"
    assert surges.number_histories(DAY + timedelta(days=1)) == {"13900000001": cb.NumberHistory(tomorrow.id, 1)}
    # another number is not held back by this one
    assert ask(surges, "2.1", caller="13900000002", when=T0 + timedelta(minutes=7), per_day=2)[0].status == "waiting"


def test_a_caller_told_refused_stays_refused_and_one_told_taken_is_held_to_the_rule(surges):
    assert ask(surges, "1.1", heard="refuse_today")[0].status == "refused"   # stayed in the queue: never dialled
    open_, _ = ask(surges, "1.2", heard="accept")
    late, _ = ask(surges, "1.3", heard="accept")                              # a board a second old said so
    assert (open_.status, late.status, late.joined_to) == ("waiting", "joined", open_.id)


@pytest.mark.parametrize("dialled_before", [0, 2])
def test_requests_of_one_number_arriving_at_once_never_both_pass(surges, dialled_before):
    """Eight calls of one number ask at the same moment: exactly one is dialled (on PostgreSQL
    under the number's advisory lock, on SQLite under BEGIN IMMEDIATE), with or without the
    day's earlier callbacks; and eight numbers at once are not held back by each other."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    for n in range(dialled_before):
        earlier, _ = ask(surges, f"0.{n}", when=T0 - timedelta(hours=1))
        surges.start_try(earlier.id, T0 - timedelta(hours=1))
        surges.finish_try(earlier.id, "answered", True, POLICY, T0 - timedelta(hours=1))
    barrier = threading.Barrier(8)

    def one(i, caller="13900000001"):
        barrier.wait()
        return ask(surges, f"1.{i}", caller=caller)[0]

    with ThreadPoolExecutor(8) as pool:
        same = list(pool.map(one, range(8)))
    assert sorted(r.status for r in same) == ["joined"] * 7 + ["waiting"]
    winner = next(r for r in same if r.status == "waiting")
    assert {r.joined_to for r in same if r.status == "joined"} == {winner.id}
    with ThreadPoolExecutor(8) as pool:
        others = list(pool.map(lambda i: one(10 + i, f"1390000010{i}"), range(8)))
    assert {r.status for r in others} == {"waiting"}
