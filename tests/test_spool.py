"""The spool on disk: facts appended in order, never rewritten, read from a cursor, set aside."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from ivr.spool import Position, Spool, decode, encode
from ivr.core import call_events as ce

AT = datetime(2026, 9, 9, 11, 0, tzinfo=timezone.utc)


def answered(n: int) -> ce.Answered:
    return ce.Answered(ce.CallInfo(f"17.{n}", f"17.{n}", "139", "12345", "centre", "main", ""),
                       "q12345", "agent1", "PJSIP/agent1-1", 2, AT)


def linkedids(records) -> list[str]:
    return [decode(r.line).call.linkedid for r in records]


def test_round_trip():
    for fact in (answered(1), ce.Ended(ce.CallInfo("1.1"), AT, "Normal"),
                 ce.Abandoned(ce.CallInfo("1.2"), "q", 3, AT), ce.Rated(ce.CallInfo("1.3", "1.3"), 4, AT),
                 ce.Transferred(ce.CallInfo("1.4", "1.4"), "80002401", "blind", "agent3", AT),
                 ce.Ended(ce.CallInfo("1.5", "1.5"), AT, "caller", talk_seconds=42)):
        assert decode(encode(fact)) == fact


def test_a_line_spooled_before_facts_had_a_talk_time_still_reads():
    import json

    line = json.dumps({"kind": "Ended", "fact": {"call": {"linkedid": "1.1"}, "at": AT.isoformat(), "cause": "x"}})
    assert decode(line) == ce.Ended(ce.CallInfo("1.1"), AT, "x", None)


def test_applying_moves_the_cursor_and_never_rewrites_the_data(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.append(answered(n) for n in range(5))
    segment = tmp_path / "spool" / "00000001.jsonl"
    before = segment.read_bytes()
    records = spool.read(spool.cursor(), 3)
    assert linkedids(records) == ["17.0", "17.1", "17.2"]
    spool.commit(records[-1].end)
    spool.append([answered(5)])
    assert segment.read_bytes().startswith(before)  # appended, nothing rewritten
    assert linkedids(Spool(tmp_path / "spool").pending()) == ["17.3", "17.4", "17.5"]  # survives a restart


def test_segments_roll_over_and_are_deleted_once_wholly_applied(tmp_path):
    spool = Spool(tmp_path / "spool", segment_bytes=300)
    for n in range(10):
        spool.append([answered(n)])
    assert len(spool.segments()) > 2
    everything = spool.pending()
    assert linkedids(everything) == [f"17.{n}" for n in range(10)]
    spool.commit(everything[6].start)
    assert spool.segments()[0] == everything[6].start.segment
    assert linkedids(spool.pending()) == ["17.6", "17.7", "17.8", "17.9"]


def test_a_half_written_last_line_waits_for_the_rest(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.append([answered(1)])
    with open(tmp_path / "spool" / "00000001.jsonl", "a") as fh:
        fh.write(encode(answered(2))[:20])  # a crash in the middle of an append
    assert linkedids(spool.read(Position(1, 0))) == ["17.1"]


def test_set_aside_keeps_the_fact_and_the_reason_and_can_requeue_it(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.set_aside(encode(answered(7)), "TicketError: no work order for call 17.7")
    spool.set_aside("{damaged", "unreadable spool line")
    aside = spool.aside()
    assert [a.reason for a in aside] == ["TicketError: no work order for call 17.7", "unreadable spool line"]
    assert aside[0].fact() == answered(7)
    assert spool.requeue_aside() == 1
    assert linkedids(spool.pending()) == ["17.7"]
    assert [json.loads(line)["line"] for line in spool.aside_path.read_text().splitlines()] == ["{damaged"]


def test_files_are_private(tmp_path):
    spool = Spool(tmp_path / "spool")
    spool.append([answered(1)])
    spool.set_aside("x", "why")
    for path in (tmp_path / "spool" / "00000001.jsonl", spool.aside_path):
        assert path.stat().st_mode & 0o007 == 0, path
