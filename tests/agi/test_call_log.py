"""The routing engine's call log: every decision logged off the call path, bounded, never a wait,
then taken into the database by the work-order part, a database outage only delaying that."""
from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest

from ivr.agi.call_log import CallLog
from ivr.agi.handlers import HANDLERS, AgiContext, StaticRules
from ivr.agi.stats import AgiStats
from ivr.clock import make_clock
from ivr.core.routing import Call, decide
from ivr.errors import StoreError
from ivr.ami.listener import QueueLogCursor
from ivr.lifecycle.ingest import Ingester, ingest_pending
from ivr.store.engine import open_engine
from ivr.store.routed_calls import RoutedCalls
from support import CST, at, wait_until
from ivr.agi.server import Limits

NOW = at("2026-03-10 10:00")
OFFICE_HOURS = "2026-03-10T10:00"  # a Tuesday, no holiday
FAST = Limits(header_timeout=0.3, reply_timeout=0.3, session_timeout=2.0)


def _decision(rules, line="0513-80000401"):
    return decide(Call(line), rules, NOW)


def test_every_routed_call_is_logged_with_time_number_caller_and_route(agi_server, peer, shipped_rules, tmp_path):
    log = CallLog(tmp_path / "calls").start()
    ctx = AgiContext(rules=StaticRules(shipped_rules), clock=make_clock(OFFICE_HOURS, CST), stats=AgiStats(),
                     call_log=log)
    server = agi_server(HANDLERS, ctx, limits=FAST, stats=ctx.stats)
    for n, extension in enumerate(("80000401", "12345", "80009999")):
        peer.converse(server.port, peer.header(extension=extension, uniqueid=f"ivr12345-17000.{n}",
                                               callerid=f"1390000000{n}"))
    assert wait_until(lambda: log.written == 3)
    log.stop()
    lines = [json.loads(r.line) for r in log.spool.read(log.spool.cursor(), 10)]
    assert [(d["id"], d["line"], d["caller"], d["route"]) for d in lines] == [
        ("ivr12345-17000.0", "80000401", "13900000000", "dial:051380002401>q12345"),
        ("ivr12345-17000.1", "12345", "13900000001", "queue:q12345"),
        ("ivr12345-17000.2", "80009999", "13900000002", "queue:q12345")]
    assert {d["rules"] for d in lines} == {shipped_rules.sha256}
    assert datetime.fromisoformat(lines[0]["at"]).isoformat().startswith("2026-03-10T10:00")


def test_recording_never_waits_for_the_disk_and_memory_stays_bounded(shipped_rules, tmp_path, monkeypatch):
    log = CallLog(tmp_path / "calls", max_pending=100)
    stuck = threading.Event()

    def hung_disk(lines):  # a disk that never answers
        stuck.wait(30)

    monkeypatch.setattr(log.spool, "append_lines", hung_disk)
    log.start()
    decision = _decision(shipped_rules)
    for n in range(10_000):  # with a hung writer thread every call still returns at once
        log.record(NOW, "80000401", "13900000001", f"id-{n}", shipped_rules.sha256, decision)
    assert log.pending <= 100 and log.dropped >= 10_000 - 100 - 2_000
    assert log.recorded + log.dropped == 10_000
    stuck.set()
    log.stop(timeout=2)


def test_a_failing_disk_is_retried_and_nothing_queued_is_lost(shipped_rules, tmp_path):
    blocker = tmp_path / "calls"
    blocker.write_text("a file where the folder should be")   # appending fails: not a directory
    log = CallLog(blocker).start()
    decision = _decision(shipped_rules)
    for n in range(5):
        log.record(NOW, "80000401", "13900000001", f"id-{n}", shipped_rules.sha256, decision)
    assert wait_until(lambda: log.error != "")
    blocker.unlink()                                          # the disk is back
    assert wait_until(lambda: log.written == 5, timeout=10)
    log.stop()
    assert log.error == ""


@pytest.fixture
def calls(tmp_path) -> RoutedCalls:
    engine = open_engine(f"sqlite:///{tmp_path / 'ivr.sqlite3'}")
    yield RoutedCalls(engine)
    engine.dispose()


def _logged(tmp_path, shipped_rules, count: int, line="80000401", first: int = 0) -> CallLog:
    log = CallLog(tmp_path / "calls").start()
    decision = _decision(shipped_rules)
    for n in range(first, first + count):
        log.record(NOW, line, f"1390000{n:04d}", f"ivr12345-{n}", shipped_rules.sha256, decision)
    assert wait_until(lambda: log.written == count)
    log.stop()
    return log


class Asterisk:
    """Asterisk's queue log: the dialplan's IVRCALL record of each call, before the engine is asked."""

    def __init__(self, tmp_path) -> None:
        self.path = tmp_path / "queue_log"
        self.path.touch()
        self.cursor = QueueLogCursor(self.path, tmp_path / "records.offset")

    def called(self, uniqueid: str, line: str = "80000401", caller: str = "", when: float | None = None) -> None:
        import time
        with self.path.open("a") as fh:
            fh.write(f"{int(when or time.time())}|{uniqueid}|NONE|NONE|IVRCALL|{line}|{caller}\n")


@pytest.fixture
def asterisk(tmp_path) -> Asterisk:
    return Asterisk(tmp_path)


def test_ingest_takes_the_log_into_the_database_once_and_sets_damaged_lines_aside(tmp_path, shipped_rules, calls,
                                                                                  asterisk):
    log = _logged(tmp_path, shipped_rules, 3)
    for n in range(3):
        asterisk.called(f"ivr12345-{n}", caller=f"1390000{n:04d}")
    log.spool.append_lines(["{not json\n", json.dumps({"id": "x", "at": "2026-03-10T10:00", "line": "1"}) + "\n"])
    assert ingest_pending(log.spool, calls, asterisk.cursor) == 5
    assert ingest_pending(log.spool, calls, asterisk.cursor) == 0            # the cursor moved: nothing again
    assert [c.id for c in calls.between(NOW)] == ["ivr12345-0", "ivr12345-1", "ivr12345-2"]
    assert len(log.spool.aside()) == 2                       # the damaged line, the time without a zone
    assert not log.spool.pending()


def test_a_database_outage_keeps_the_log_on_disk_until_it_is_back(tmp_path, shipped_rules, calls, monkeypatch,
                                                                   asterisk):
    log = _logged(tmp_path, shipped_rules, 4)
    for n in range(4):
        asterisk.called(f"ivr12345-{n}", caller=f"1390000{n:04d}")
    real = calls.take_in

    def down(*args, **kwargs):
        raise StoreError("the call log database is unavailable: connection refused")

    monkeypatch.setattr(calls, "take_in", down)
    ingester = Ingester(log.spool, calls, asterisk.cursor, interval=0.05).start()
    assert wait_until(lambda: ingester.database_error != "")
    assert len(log.spool.pending()) == 4                     # nothing lost, nothing moved
    monkeypatch.setattr(calls, "take_in", real)
    assert wait_until(lambda: ingester.ingested == 4 and ingester.database_error == "", timeout=5)
    ingester.stop()
    assert calls.count(NOW) == 4 and not log.spool.pending()


def test_only_calls_asterisk_recorded_feed_the_preview(tmp_path, shipped_rules, calls, asterisk):
    """Forged route sessions log lines no call in Asterisk's record matches: they wait, then are
    dropped and counted, never replayed; a forged line naming a real call's id with another
    number neither enters nor keeps the real one out; a record read before its line waits too."""
    from datetime import timedelta, timezone

    from ivr.store.routed_calls import GRACE

    clock = {"now": datetime.now(timezone.utc)}
    now = lambda: clock["now"]   # noqa: E731 - the ingest's wall clock, moved by the test
    forged = _logged(tmp_path, shipped_rules, 200, first=100)                # ids nobody called with
    asterisk.called("ivr12345-7", caller="13900000007")                     # a real call, not logged yet
    assert ingest_pending(forged.spool, calls, asterisk.cursor, now) == 200
    assert calls.count(NOW) == 0 and calls.pending() == 200
    real = CallLog(tmp_path / "calls").start()
    decision = _decision(shipped_rules)
    real.record(NOW, "12345", "13800000000", "ivr12345-7", shipped_rules.sha256, decision)    # forged: its id
    real.record(NOW, "80000401", "13900000007", "ivr12345-7", shipped_rules.sha256, decision)  # the real line
    assert wait_until(lambda: real.written == 2)
    real.stop()
    assert ingest_pending(real.spool, calls, asterisk.cursor, now) == 2
    [joined] = list(calls.between(NOW - timedelta(days=1)))
    assert (joined.id, joined.line, joined.caller) == ("ivr12345-7", "80000401", "13900000007")
    assert calls.dropped_since(NOW) == 0
    clock["now"] += GRACE + timedelta(seconds=1)
    assert ingest_pending(real.spool, calls, asterisk.cursor, now) == 0      # nothing new: the grace ran out
    assert calls.pending() == 0 and calls.dropped_since(NOW - timedelta(days=1)) == 201
    assert calls.count(NOW - timedelta(days=1)) == 1
