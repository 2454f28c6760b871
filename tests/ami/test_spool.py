"""The durable spool: facts survive a database outage, in order, and none is lost."""
from __future__ import annotations

from datetime import datetime, timezone

from ivr.ami.spool import Spool, decode, encode
from ivr.core import call_events as ce

AT = datetime(2026, 9, 9, 11, 0, tzinfo=timezone.utc)


def answered(n: int) -> ce.Answered:
    return ce.Answered(ce.CallInfo(f"17.{n}", f"17.{n}", "139", "12345", "centre", "main", ""),
                       "q12345", "agent1", "PJSIP/agent1-1", 2, AT)


def test_round_trip():
    for fact in (answered(1), ce.Ended(ce.CallInfo("1.1"), AT, "Normal"), ce.Abandoned(ce.CallInfo("1.2"), "q", 3, AT)):
        assert decode(encode(fact)) == fact


def test_drain_applies_in_order_and_keeps_the_rest_when_the_database_fails_again(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    for n in range(5):
        spool.append(answered(n))
    seen: list[str] = []

    def flaky(fact):
        if fact.call.linkedid == "17.3":
            raise ConnectionError("database down")
        seen.append(fact.call.linkedid)

    assert spool.drain(flaky) == (3, 2)
    assert seen == ["17.0", "17.1", "17.2"]
    assert spool.pending() == 2
    assert spool.drain(lambda f: seen.append(f.call.linkedid)) == (2, 0)
    assert seen[-2:] == ["17.3", "17.4"] and spool.pending() == 0


def test_a_corrupt_line_is_set_aside_not_blocking(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append(answered(1))
    with spool.path.open("a") as fh:
        fh.write("{not json\n")
    spool.append(answered(2))
    got: list[str] = []
    assert spool.drain(lambda f: got.append(f.call.linkedid)) == (2, 0)
    assert got == ["17.1", "17.2"]
    assert "{not json" in (tmp_path / "spool.bad").read_text()
