"""The intake under faults: nothing lost, nothing stuck, memory bounded, every failure visible.

The ledger here is a fake whose database can be switched off or made to refuse one fact; the
spool is the real one on disk. The real store and PostgreSQL are in test_intake_store.py.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import pytest

from ivr.ami.intake import Intake, RecordingNotReady
from ivr.spool import Spool
from ivr.core import call_events as ce
from ivr.errors import StoreError, TicketError
from support import wait_until

AT = datetime(2026, 9, 9, 11, 0, tzinfo=timezone.utc)
FAST = (0.01, 0.02, 0.05)


def answered(n: int) -> ce.Answered:
    return ce.Answered(ce.CallInfo(f"1.{n}", f"1.{n}"), "q12345", "agent1", "", 1, AT)


def ended(n: int) -> ce.Ended:
    return ce.Ended(ce.CallInfo(f"1.{n}", f"1.{n}"), AT, "Normal")


class Ledger:
    """A ledger whose database can be switched off, and which can refuse chosen facts."""

    def __init__(self) -> None:
        self.up = True
        self.applied: list[tuple[str, str]] = []
        self.refuse: dict[str, Exception] = {}
        self.not_ready: dict[str, int] = {}
        self.threads: set[str] = set()
        self.calls = 0

    def apply(self, fact: ce.Fact) -> None:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if not self.up:
            raise StoreError("the ticket database is unavailable: timeout")
        key = (type(fact).__name__, fact.call.linkedid)
        if fact.call.linkedid in self.refuse:
            raise self.refuse[fact.call.linkedid]
        if isinstance(fact, ce.Ended) and self.not_ready.get(fact.call.linkedid, 0) > 0:
            self.not_ready[fact.call.linkedid] -= 1
            raise RecordingNotReady(fact.call.linkedid, 0.05)
        self.applied.append(key)


class WatchedSpool(Spool):
    """The real spool, noting which threads touch the disk."""

    threads: set[str]

    def append(self, facts):
        self.threads.add(threading.current_thread().name)
        return super().append(facts)

    def read(self, start, limit=256):
        self.threads.add(threading.current_thread().name)
        return super().read(start, limit)


@pytest.fixture
def make(tmp_path):
    started: list[Intake] = []

    def _make(ledger: Ledger, **options) -> Intake:
        spool = WatchedSpool(tmp_path / "spool")
        spool.threads = set()
        intake = Intake(spool, ledger, status_path=tmp_path / "intake.json", backoff=FAST, **options).start()
        started.append(intake)
        return intake

    yield _make
    for intake in started:
        intake.stop(grace=0.5)


def test_facts_are_applied_in_order_off_the_callers_thread(make):
    ledger = Ledger()
    intake = make(ledger)
    for n in range(50):
        intake.submit(answered(n))
    assert wait_until(lambda: len(ledger.applied) == 50)
    assert [k[1] for k in ledger.applied] == [f"1.{n}" for n in range(50)]
    me = threading.current_thread().name
    assert me not in intake.spool.threads and me not in ledger.threads  # no disk, no database here


def test_while_the_database_is_away_facts_wait_on_disk_and_memory_stays_small(make):
    ledger = Ledger()
    ledger.up = False
    intake = make(ledger)
    for n in range(20_000):
        intake.submit(answered(n))
    assert intake.flush(timeout=20)
    assert intake.status()["in_memory"] == 0           # all of it is on disk, not in memory
    assert len(intake.spool.pending()) == 20_000
    assert ledger.calls < 200                           # the same first fact retried, with backoff
    assert not intake.status()["database"]["ok"] and intake.status()["database"]["since"]
    ledger.up = True
    assert wait_until(lambda: len(ledger.applied) == 20_000, timeout=60)
    assert [k[1] for k in ledger.applied[:3]] == ["1.0", "1.1", "1.2"]
    assert intake.status()["database"]["ok"]
    assert wait_until(lambda: not intake.spool.pending())


@pytest.mark.parametrize("refusal", [
    TicketError("no work order for call 1.3"),
    OSError(13, "Permission denied"),   # an unreadable recording
])
def test_a_fact_refused_for_good_is_set_aside_with_its_reason_and_the_rest_go_on(make, refusal):
    ledger = Ledger()
    ledger.refuse["1.3"] = refusal
    intake = make(ledger)
    for n in range(6):
        intake.submit(answered(n))
    assert wait_until(lambda: len(ledger.applied) == 5)
    assert "1.3" not in [k[1] for k in ledger.applied]
    aside = intake.spool.aside()
    assert len(aside) == 1 and aside[0].fact() == answered(3)
    assert str(refusal) in aside[0].reason
    assert intake.status()["set_aside"] == 1


def test_an_unexpected_error_is_retried_then_set_aside(make):
    ledger = Ledger()
    ledger.refuse["1.1"] = ValueError("something odd")
    intake = make(ledger, retry_limit=3)
    for n in range(3):
        intake.submit(answered(n))
    assert wait_until(lambda: len(ledger.applied) == 2)
    assert intake.spool.aside()[0].reason == "ValueError: something odd"
    assert intake.alive


def test_a_damaged_spool_line_is_set_aside(make, tmp_path):
    ledger = Ledger()
    folder = tmp_path / "spool"
    folder.mkdir()
    (folder / "00000001.jsonl").write_text("{not json\n")
    intake = make(ledger)
    intake.submit(answered(1))
    assert wait_until(lambda: ledger.applied == [("Answered", "1.1")])
    assert intake.spool.aside()[0].line == "{not json"


def test_a_recording_still_being_written_waits_aside_without_holding_the_others(make):
    ledger = Ledger()
    ledger.not_ready["1.0"] = 3
    intake = make(ledger)
    intake.submit(ended(0))
    for n in range(1, 4):
        intake.submit(answered(n))
    assert wait_until(lambda: ("Ended", "1.0") in ledger.applied)
    assert ledger.applied.index(("Answered", "1.1")) < ledger.applied.index(("Ended", "1.0"))


def test_a_failing_spool_disk_is_reported_and_nothing_is_lost(make, monkeypatch):
    ledger = Ledger()
    intake = make(ledger)
    real_append = Spool.append_lines
    broken = {"on": True}

    def append_lines(self, lines):
        if broken["on"]:
            raise OSError(28, "No space left on device")
        return real_append(self, lines)

    monkeypatch.setattr(Spool, "append_lines", append_lines)
    for n in range(5):
        intake.submit(answered(n))
    assert wait_until(lambda: not intake.status()["spool_writer"]["ok"])
    assert "No space left on device" in intake.status()["spool_writer"]["error"]
    assert intake.alive and ledger.applied == []
    broken["on"] = False
    assert wait_until(lambda: len(ledger.applied) == 5)
    assert intake.status()["spool_writer"]["ok"]


def test_a_full_inbox_asks_for_a_resync_instead_of_growing(make, monkeypatch):
    asked = []
    ledger = Ledger()
    monkeypatch.setattr(Spool, "append_lines", lambda self, lines: (_ for _ in ()).throw(OSError(5, "I/O error")))
    intake = make(ledger, max_inbox=10, on_overflow=lambda: asked.append(1))
    for n in range(15):
        intake.submit(answered(n))
    assert intake.status()["in_memory"] == 10 and intake.status()["overflowed"] == 5
    assert asked  # the listener then replays Asterisk's queue log, which holds every call fact


def test_a_stop_puts_every_fact_on_disk_and_the_next_start_applies_the_rest(make, tmp_path):
    ledger = Ledger()
    ledger.up = False
    intake = make(ledger)
    for n in range(100):
        intake.submit(answered(n))
    intake.stop(grace=0.3)
    assert not intake.alive
    assert len(Spool(tmp_path / "spool").pending()) == 100
    status = json.loads((tmp_path / "intake.json").read_text())
    assert status["state"] == "stopped" and status["written"] == 100
    ledger.up = True
    make(ledger)
    assert wait_until(lambda: len(ledger.applied) == 100)
