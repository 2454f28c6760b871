"""The ledger against a real SQLite store: work orders once, and recordings hashed only once
MixMonitor has finished writing them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from audio import make_opus, make_wav
from ivr.ami.ledger import RecordingNotReady
from ivr.core import call_events as ce
from ivr.errors import TicketError
from ivr.recordings import verify

AT = datetime(2026, 9, 9, 3, 0, tzinfo=timezone.utc)


def test_a_recording_is_hashed_once_it_has_stopped_growing(ledger, tmp_path):
    wav = tmp_path / "recordings" / "2026" / "09" / "09" / "1.1.wav"
    make_wav(wav, 2.0)
    call = ce.CallInfo("1.1", "1.1", "139", "051380000304", "", "", str(wav))
    ledger.apply(ce.Answered(call, "seat_water", "agent8", "", 2, AT))
    ledger.apply(ce.Answered(call, "seat_water", "agent8", "", 2, AT))  # a replay: nothing new
    ledger.clock["now"] = wav.stat().st_mtime + 0.2  # MixMonitor may still be writing
    with pytest.raises(RecordingNotReady) as wait:
        ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=3))  # AgentComplete: 3 s of talk
    assert 0.7 < wait.value.retry_in <= 0.8
    make_wav(wav, 3.0)  # the last frames land
    ledger.clock["now"] = wav.stat().st_mtime + 1.5
    ledger.apply(ce.Ended(call, AT, "Normal Clearing"))  # the caller's hangup
    ticket = ledger.store.by_linkedid("1.1")
    assert (ticket.department, ticket.mode, ticket.recording_size) == ("water", "dedicated", 44 + 48_000)
    check = ledger.store.recording_check(ticket.number)
    assert (check.verdict, check.talk_seconds, check.recorded_seconds) == ("complete", 3, 3.0)
    report = verify(tmp_path / "recordings")
    assert report.ok and report.checked == 1


def _answered_opus(ledger, tmp_path, linkedid: str):
    folder = tmp_path / "recordings" / "2026" / "09" / "09"
    folder.mkdir(parents=True, exist_ok=True)
    opus = folder / f"{linkedid}.opus"
    call = ce.CallInfo(linkedid, linkedid, "139", "051380000304", "", "", str(opus))
    ledger.apply(ce.Answered(call, "seat_water", "agent8", "", 2, AT))
    return call, opus, opus.with_suffix(".wav")


def test_a_compressed_recording_is_hashed_once_asterisk_has_put_it_in_place(ledger, tmp_path):
    call, opus, wav = _answered_opus(ledger, tmp_path, "3.1")
    make_wav(wav, 4.0)  # MixMonitor's WAV, not yet compressed
    ledger.clock["now"] = wav.stat().st_mtime + 5
    with pytest.raises(RecordingNotReady):
        ledger.apply(ce.Ended(call, AT, "agent", talk_seconds=4))
    make_opus(opus, 4.0)  # the encoder's output renamed into place
    wav.unlink()
    ledger.clock["now"] = opus.stat().st_mtime + 1.5
    ledger.apply(ce.Ended(call, AT, "agent", talk_seconds=4))
    ticket = ledger.store.by_linkedid("3.1")
    assert (ticket.recording_path, ticket.recording_size) == (str(opus), opus.stat().st_size)
    assert ledger.store.recording_check(ticket.number).verdict == "complete"
    assert verify(tmp_path / "recordings").ok


def test_a_recording_whose_compression_failed_keeps_its_wav_hashed_and_listed(ledger, tmp_path):
    call, opus, wav = _answered_opus(ledger, tmp_path, "3.2")
    make_wav(wav, 4.0)
    ledger.clock["now"] = wav.stat().st_mtime + 61  # the encoder never delivered
    ledger.apply(ce.Ended(call, AT, "caller", talk_seconds=4))
    ticket = ledger.store.by_linkedid("3.2")
    assert (ticket.recording_path, ticket.recording_size) == (str(wav), 64_044)
    assert ledger.store.recording_check(ticket.number).verdict == "complete"
    report = verify(tmp_path / "recordings")
    assert report.ok and report.checked == 1


def test_a_call_nobody_answered_has_nothing_to_finish(ledger):
    ledger.apply(ce.Ended(ce.CallInfo("2.1", "2.1"), AT))  # no work order: no error, nothing made
    assert ledger.store.list() == []


def test_a_transfer_goes_on_the_orders_history_once_with_the_department(ledger):
    from ivr.errors import TicketError

    call = ce.CallInfo("3.1", "3.1", "139", "12345")
    ledger.apply(ce.Answered(call, "q12345", "agent3", "", 2, AT))
    transfer = ce.Transferred(call, "80002401", "blind", "agent3", AT.replace(second=40))
    ledger.apply(transfer)
    ledger.apply(transfer)  # a replayed spool line, or the queue log at a resync
    ticket = ledger.store.by_linkedid("3.1")
    moves = [e for e in ticket.history if e.event == "transfer"]
    assert len(moves) == 1 and ticket.status.value == "received"
    assert moves[0].actor == "agent3" and moves[0].at == AT.replace(second=40)
    assert moves[0].data == {"to": "051380002401", "department": "justice", "kind": "blind",
                             "dialled": "80002401"}
    with pytest.raises(TicketError, match="recorded from the call itself"):
        ledger.store.apply(ticket.number, "transfer", "li", AT.replace(minute=5))


def test_a_transfer_of_a_call_with_no_order_is_refused_to_be_set_aside_not_dropped(ledger):
    """The intake sets a refused fact aside with its reason (ivr tickets intake shows it)."""
    with pytest.raises(TicketError, match="a transfer to 80002401 by agent3 for call 4.1, which has no work order"):
        ledger.apply(ce.Transferred(ce.CallInfo("4.1", "4.1"), "80002401", "blind", "agent3", AT))
    assert ledger.store.list() == []


def test_every_caller_at_a_queues_door_is_counted_with_the_outcome_they_reached(ledger):
    """Live facts in any order, and their queue-log replays: one offered call each, its outcome
    the furthest it got, the wait counted from joining the queue, not from the door."""
    from datetime import timedelta

    from ivr.core import kpi

    def call(linkedid):
        return ce.CallInfo(linkedid, linkedid, "13900000001", "12345", "centre", "main")

    def at(seconds):
        return AT + timedelta(seconds=seconds)

    facts = [ce.AtDoor(call("1.1"), "q12345", at(0)), ce.HungUp(call("1.1"), "q12345", "greeting", at(2)),
             ce.AtDoor(call("1.2"), "q12345", at(0)), ce.HungUp(call("1.2"), "q12345", "offer", at(9)),
             ce.AtDoor(call("1.3"), "q12345", at(0)), ce.Entered(call("1.3"), "q12345", at(14)),
             ce.Abandoned(call("1.3"), "q12345", 30, at(44)), ce.HungUp(call("1.3"), "q12345", "queue", at(44)),
             ce.AtDoor(call("1.4"), "q12345", at(0)), ce.Entered(call("1.4"), "q12345", at(14)),
             ce.Answered(call("1.4"), "q12345", "agent1", "", 6, at(20)),
             ce.HungUp(call("1.4"), "q12345", "queue", at(80)),
             ce.AtDoor(call("1.5"), "q12345", at(0)), ce.LeftInformed(call("1.5"), "q12345", "hotline/n1", at(8)),
             ce.HungUp(call("1.5"), "q12345", "notice", at(10)),
             ce.AtDoor(call("1.6"), "q12345", at(0)),
             ce.CallbackAsked(call("1.6"), "q12345", "wait_offer", at(9), "accept"),
             ce.HungUp(call("1.6"), "q12345", "offer", at(15))]
    for fact in facts + facts[::-1]:   # then every fact again, backwards: nothing changes
        ledger.apply(fact)
    # a callback's own call joins and is answered: an order, but not an offered call
    ledger.apply(ce.Entered(call("2.1"), "q12345", at(100)))
    ledger.apply(ce.Answered(call("2.1"), "q12345", "agent1", "", 1, at(101)))
    report = kpi.build_report(*ledger.store.report_facts())
    t = report.total
    assert (t.offered, t.answered, t.abandoned, t.abandoned_before_queue) == (6, 1, 3, 2)
    assert (t.left_informed, t.callbacks, t.called_back, t.received) == (1, 1, 0, 2)
    assert t.connection_rate == 1 / 5
    day = {c.wait_seconds for c in ledger.store.calls_between(at(-60), at(3600)) if c.outcome == "answered"}
    assert day == {6}   # joined at 14 s, answered at 20 s: the greeting and offer are not the wait
