"""Callback requests, their tries and notices in the database (SQLite and PostgreSQL): one request
per call whatever the facts' replays, hostile numbers refused, every try kept, a stopped engine's
ringing try closed as interrupted, and the spool carrying the callers' choices unchanged."""
from __future__ import annotations

from datetime import timedelta

import pytest
from support import at

from ivr.ami.spool import decode, encode
from ivr.core import call_events as ce
from ivr.core.callbacks import CallbackPolicy
from ivr.store.surges import SurgeError, SurgeStore

T0 = at("2020-09-09 19:05")
POLICY = CallbackPolicy(tries=2, retry_after_s=60)


@pytest.fixture
def surges(store) -> SurgeStore:
    return SurgeStore(store.engine)


def ask(surges, linkedid="1700.1", caller="13900000001"):
    return surges.request_callback(linkedid, queue="seat_water", caller=caller, area_code="0513",
                                   line="051380000304", department="water", via="queue_key", at=T0)


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
