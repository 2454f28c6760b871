"""Recording checks in the store, on SQLite and PostgreSQL: migration 0011 up, down and up again;
the talk time kept once; hash and verdict written together; the flagged ones listed and counted."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from ivr.core.recording_check import Measured, judge
from ivr.store.engine import open_engine
from support import at, migrate

T0 = at("2026-09-09 11:00")


def answer(store, linkedid: str, minute: int = 0):
    ticket, _ = store.create_ticket_for_answer(linkedid, at=T0.replace(minute=minute), line="12345",
                                               department="centre", mode="main", queue="q12345", agent="agent1",
                                               recording_path=f"/r/{linkedid}.opus")
    return ticket


def test_0011_goes_up_down_and_up_again(store_url):
    engine = open_engine(store_url)
    try:
        assert "recording_checks" in inspect(engine).get_table_names()
        migrate(engine, command.downgrade, "0010")
        assert "recording_checks" not in inspect(engine).get_table_names()
        migrate(engine, command.upgrade, "head")
        indexes = {i["name"] for i in inspect(engine).get_indexes("recording_checks")}
        assert "ix_recording_checks_verdict" in indexes
    finally:
        engine.dispose()


def test_the_talk_time_then_the_verdict_with_the_hash(store):
    ticket = answer(store, "1.1")
    assert store.recording_state("1.1")[1] is None
    store.note_talk("1.1", 6, "caller")
    store.note_talk("1.1", 99, "agent")                      # a second report does not replace it
    _, check = store.recording_state("1.1")
    assert (check.talk_seconds, check.ended_by, check.verdict, check.flagged) == (6, "caller", None, False)
    verdict = judge(Measured(4096, 0.25, "wav"), 6, "caller")
    done = store.finish_recording("1.1", verdict, path="/r/1.1.wav", at=T0, sha256="ab" * 32)
    assert (done.recording_path, done.recording_sha256, done.recording_size) == ("/r/1.1.wav", "ab" * 32, 4096)
    again = store.finish_recording("1.1", judge(Measured(96_044, 6.0, "wav"), 6), path="/r/x.wav", at=T0,
                                   sha256="cd" * 32)           # a replay changes nothing
    assert again.recording_sha256 == "ab" * 32
    check = store.recording_check(ticket.number)
    assert (check.verdict, check.recorded_seconds, check.size, check.path) == ("short", 0.25, 4096, "/r/1.1.wav")
    assert check.reason == verdict.reason and check.checked_at == T0 and check.flagged
    assert check.to_dict()["flagged"] is True


def test_flagged_recordings_newest_first_and_counted(store):
    for n, (measured, talk) in enumerate([(Measured(96_044, 6.0), 6), (None, 6), (Measured(0, 0.0), 5),
                                         (Measured(50_000, 1.5), 9)]):
        linkedid = f"2.{n}"
        answer(store, linkedid, minute=n)
        check = judge(measured, talk)
        store.finish_recording(linkedid, check, path=f"/r/{linkedid}.wav", at=T0.replace(minute=n),
                               sha256=None if measured is None else f"{n:02d}" * 32)
    flagged = store.flagged_recordings()
    assert [(f.number[-1], f.verdict) for f in flagged] == [("4", "short"), ("3", "empty"), ("2", "missing")]
    assert store.count_flagged() == 3 and len(store.flagged_recordings(limit=1)) == 1
    missing = store.get(flagged[2].number)
    assert missing.recording_sha256 is None and missing.recording_path == "/r/2.1.opus"  # nothing to hash
