"""Missed calls in the database, through the ledger as the AMI facts arrive (SQLite and
PostgreSQL): a caller who left the queue after waiting becomes a ``missed`` callback request
waiting for the centre's hours; the same number missed again within the window is joined to it;
the centre's own callback call is never a missed call; a caller who rings again and is answered
closes it; the report's figures count it."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from ivr.ami.ledger import StoreLedger
from ivr.core import call_facts as ce
from ivr.core.missed import MissedPolicy
from ivr.recordings import Manifest
from ivr.store.surges import SurgeStore
from support import at

T0 = at("2026-12-05 21:30")            # after the centre's hours: the callback waits for the morning
POLICY = MissedPolicy(after_s=20, window_h=24, hours=(8 * 60, 20 * 60))


@pytest.fixture
def ledger(store, tmp_path, shipped_rules):
    recordings = tmp_path / "recordings"
    return StoreLedger(store, lambda: shipped_rules, recordings, Manifest(recordings, lambda: T0),
                       wall_clock=time.time, missed_policy=POLICY)


def caller_leaves(ledger, linkedid: str, caller: str, waited: int, when=T0) -> None:
    call = ce.CallInfo(linkedid, linkedid, caller, "12345", "centre", "main")
    ledger.apply(ce.AtDoor(call, "q12345", when - timedelta(seconds=waited + 3)))
    ledger.apply(ce.Entered(call, "q12345", when - timedelta(seconds=waited)))
    ledger.apply(ce.Abandoned(call, "q12345", waited, when))


def test_a_caller_who_waited_and_left_is_called_back_in_the_morning_once(ledger, store):
    surges = SurgeStore(store.engine, store.tz)
    caller_leaves(ledger, "1.1", "13900000001", waited=5)                  # hung up at once: not missed
    caller_leaves(ledger, "1.2", "13900000002", waited=45)
    caller_leaves(ledger, "1.3", "13900000002", waited=60, when=T0 + timedelta(minutes=10))
    requests = {c.linkedid: c for c in surges.callbacks()}
    assert set(requests) == {"1.2", "1.3"}
    first, again = requests["1.2"], requests["1.3"]
    assert (first.via, first.status, first.number) == ("missed", "waiting", "13900000002")
    assert first.next_try_at == at("2026-12-06 08:00")                     # not at night
    assert (again.status, again.joined_to) == ("joined", first.id)         # once per number per window
    assert surges.due(at("2026-12-06 07:59")) == [] and [c.id for c in surges.due(at("2026-12-06 08:00"))] == [first.id]
    figures = surges.missed_figures(None, None)
    assert (figures.missed, figures.waiting, figures.closed_with_reason) == (2, 1, 1)


def test_a_caller_who_rings_again_and_is_answered_closes_the_missed_call(ledger, store):
    surges = SurgeStore(store.engine, store.tz)
    caller_leaves(ledger, "2.1", "13900000003", waited=30)
    call = ce.CallInfo("2.2", "2.2", "13900000003", "12345", "centre", "main")
    ledger.apply(ce.AtDoor(call, "q12345", T0 + timedelta(minutes=5)))
    ledger.apply(ce.Answered(call, "q12345", "agent1", "PJSIP/agent1-1", 4, T0 + timedelta(minutes=5, seconds=7)))
    [request] = surges.callbacks()
    assert (request.status, request.tries, request.reason) == ("answered", 0, "rang again and was answered")
    figures = surges.missed_figures(None, None)
    assert (figures.missed, figures.rang_again, figures.called_back, figures.waiting) == (1, 1, 0, 0)


def test_the_centres_own_callback_call_is_never_a_missed_call(ledger, store):
    call = ce.CallInfo("3.1", "3.1", "13900000004", "12345", "centre", "main")
    ledger.apply(ce.Entered(call, "q12345", T0))              # a callback's call: no door
    ledger.apply(ce.Abandoned(call, "q12345", 40, T0 + timedelta(seconds=40)))
    assert SurgeStore(store.engine, store.tz).callbacks() == []
