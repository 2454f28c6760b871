"""``ivr tickets intake``: what waits, since when, what was set aside and why; requeue."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import structlog

from ivr.spool import Spool, encode
from ivr.cli import main
from ivr.core import call_events as ce

AT = datetime(2026, 9, 9, 11, 0, tzinfo=timezone.utc)


def answered(n: int) -> ce.Answered:
    return ce.Answered(ce.CallInfo(f"1.{n}", f"1.{n}"), "q12345", "agent1", "", 1, AT)


def run(capsys, *args):
    structlog.reset_defaults()
    capsys.readouterr()
    code = main(["tickets", "intake", *args])
    return code, capsys.readouterr().out


def test_the_state_of_the_pipeline_is_shown_and_monitorable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path))
    assert run(capsys)[0] == 0  # nothing waits: all is well
    spool = Spool(tmp_path / "ami" / "spool")
    spool.append([answered(1), answered(2)])
    spool.set_aside(encode(answered(3)), "ManifestError: cannot read recording 2026/09/09/1.3.wav: Permission denied")
    (tmp_path / "ami" / "intake.json").write_text(json.dumps({
        "state": "running", "updated_at": datetime.now(timezone.utc).isoformat(), "applied": 7,
        "database": {"ok": False, "since": "2026-09-09T11:00:00+00:00", "error": "timeout"},
        "spool_writer": {"ok": True}}))
    code, out = run(capsys)
    assert code == 1
    assert "engine: running" in out and "database: UNAVAILABLE since 2026-09-09T11:00:00+00:00: timeout" in out
    assert "pending: 2 fact(s)" in out and "oldest from 2026-09-09T11:00:00+00:00" in out
    assert "Answered 1.3: ManifestError: cannot read recording" in out
    code, out = run(capsys, "--json")
    data = json.loads(out)
    assert data["pending"] == 2 and data["set_aside"][0]["fact"]["linkedid"] == "1.3"
    assert run(capsys, "--requeue") == (0, "1 fact(s) put back in the spool; the running engine applies them in order\n")
    assert len(spool.pending()) == 3 and spool.aside() == []


def test_incomplete_recordings_and_the_recordings_disk_are_shown(tmp_path, monkeypatch, capsys, shipped_rules):
    from ivr.core.recording_check import Measured, judge
    from ivr.store import open_store, policy_for

    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IVR_RECORDINGS_DIR", str(tmp_path))
    monkeypatch.delenv("IVR_DATABASE_URL", raising=False)
    store = open_store(f"sqlite:///{tmp_path / 'ivr.sqlite3'}", policy_for(shipped_rules))
    try:
        for n, (measured, talk) in enumerate([(Measured(96_044, 6.0), 6), (Measured(4096, 0.25), 6)]):
            number = store.create_ticket_for_answer(f"2.{n}", at=AT, line="12345", department="centre",
                                                    mode="main")[0].number
            store.finish_recording(f"2.{n}", judge(measured, talk), path=f"/r/2.{n}.wav", at=AT, sha256="0" * 64)
    finally:
        store.close()
    code, out = run(capsys)
    assert code == 0  # nothing waits in the spool: the flags do not make it fail
    assert f"incomplete recordings: 1\n  {number}  recording short: 0.2 s recorded of 6.0 s talk" in out
    assert f"recordings disk {tmp_path}: " in out and "MB free of" in out and "(warning under 1,024 MB)" in out
    monkeypatch.setenv("IVR_RECORDINGS_MIN_FREE_MB", "999999")   # more than this disk has: low
    code, out = run(capsys, "--json")
    recordings = json.loads(out)["recordings"]
    assert recordings["disk"]["low"] is True and recordings["disk"]["free_bytes"] > 0
    assert recordings["flagged_count"] == 1 and recordings["flagged"][0]["verdict"] == "short"
    assert recordings["flagged"][0]["talk_seconds"] == 6 and recordings["flagged"][0]["size"] == 4096
    assert ": LOW" in run(capsys)[1]
