"""The supervisors' and auditors' commands: re-dispatch and call back, the access log's verify
(an edited line is found, exit 1), retention (removals in the manifest, holds kept), quality
scores per agent in ``ivr report``, and the score sheet's check."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from ivr import recordings as rec
from ivr.access_log import AccessLog, log_path
from ivr.cli.context import os_user
from ivr.core import quality
from ivr.store.audit import AuditStore
from cli.test_tickets_cmd import T0, _fresh_logging, env, ivr, store, taken_in  # noqa: F401 - fixtures


def test_redispatch_and_callback(capsys, env, store):
    number = taken_in(store)
    store.apply(number, "dispatch", "agent2", T0, unit="street_lighting", category="help_request")
    code, out, err = ivr(capsys, "tickets", "redispatch", number, "--unit", "urban_management", "--note", "改派")
    assert (code, err) == (0, "") and out.startswith(f"{number}: dispatched, due ")
    order = store.get(number).order
    assert (order.unit, order.history[-1].event, order.history[-1].actor) == ("urban_management", "redispatch", os_user())
    assert ivr(capsys, "tickets", "redispatch", number, "--unit", "mars")[0] == 2
    code, _, err = ivr(capsys, "tickets", "callback", number)
    assert code == 1 and "cannot callback" in err           # nobody rated it 1 or 2
    store.rate(number, 1, T0 + timedelta(minutes=5))
    assert ivr(capsys, "tickets", "callback", number, "--not-reached")[0] == 0
    assert store.get(number).order.history[-1].data == {"reached": False}


def test_access_log_verify_finds_an_edited_line(capsys, env, store):
    journal = AccessLog(log_path(Path(env["IVR_DATA_DIR"])), AuditStore(store.engine, store.tz))
    for n in range(3):
        journal.append(at=T0, user="chen", role="auditor", address="10.0.0.7", action="play", what=f"order {n}",
                       result="ok")
    code, out, _ = ivr(capsys, "recordings", "access-log", "verify")
    assert code == 0 and out.strip().endswith(": OK") and "3 entries, last #3" in out
    text = journal.path.read_text().replace('"what":"order 1"', '"what":"order 7"')
    journal.path.write_text(text)
    code, out, _ = ivr(capsys, "recordings", "access-log", "verify")
    assert code == 1 and "line 2 (entry 2): edited" in out and out.strip().endswith("BROKEN")
    code, out, _ = ivr(capsys, "recordings", "access-log", "verify", "--json")
    assert code == 1 and json.loads(out)["database_head"][0] == 3


def test_retention_removes_old_recordings_but_held_ones(capsys, env, store, monkeypatch):
    recordings = Path(env["IVR_RECORDINGS_DIR"])
    for name, days in (("old.wav", 200), ("held.wav", 200), ("new.wav", 3)):
        (recordings / name).write_bytes(name.encode())
        rec.append(recordings, recordings / name, name, T0 - timedelta(days=days))
    AuditStore(store.engine, store.tz).hold("12345-20200601-000001", "held.wav", "诉讼", "chen", T0)
    assert ivr(capsys, "recordings", "retention")[1].strip() == \
        "IVR_RECORDINGS_KEEP_DAYS is not set: recordings are kept for ever"
    monkeypatch.setenv("IVR_RECORDINGS_KEEP_DAYS", "180")
    code, out, _ = ivr(capsys, "recordings", "retention", "--dry-run")
    assert code == 0 and "would remove: old.wav" in out and (recordings / "old.wav").exists()
    code, out, _ = ivr(capsys, "recordings", "retention")
    assert code == 0 and "removed: old.wav" in out and "1 under a legal hold" in out
    assert not (recordings / "old.wav").exists() and (recordings / "held.wav").exists()
    code, out, _ = ivr(capsys, "recordings", "verify", "--no-tickets")
    assert code == 0 and "(1 removed by the retention period): OK" in out


def test_quality_scores_per_agent_in_the_report(capsys, env, store):
    sheet = quality.parse_sheet({"version": "t", "criteria": [{"id": "a", "name_zh": "甲", "weight": 100}]})
    audit = AuditStore(store.engine, store.tz)
    for agent, mark in (("agent1", 5), ("agent1", 3), ("agent2", 4)):
        audit.add_score(sheet, "12345-20200601-000001", agent, "chen", {"a": mark}, "", T0)
    audit.add_score(sheet, "12345-20200601-000001", "agent3", "chen", {"a": 1}, "", T0 - timedelta(days=40))
    code, out, _ = ivr(capsys, "report", "--from", "2020-06-01", "--to", "2020-06-01", "--json")
    assert code == 0 and json.loads(out)["quality"] == {
        "agent1": {"agent": "agent1", "count": 2, "mean": 80.0, "lowest": 60.0, "highest": 100.0},
        "agent2": {"agent": "agent2", "count": 1, "mean": 80.0, "lowest": 80.0, "highest": 80.0}}
    code, out, _ = ivr(capsys, "report", "--from", "2020-06-01", "--to", "2020-06-01")
    assert "quality inspection (score out of 100) per agent:" in out and "agent1" in out


def test_the_score_sheet_is_checked(capsys, env, tmp_path):
    code, out, _ = ivr(capsys, "quality", "sheet")
    assert code == 0 and "7 criteria weighing 100: OK" in out
    bad = tmp_path / "sheet.yaml"
    bad.write_text("version: x\ncriteria:\n  - {id: a, name_zh: 甲, weight: 90}\n", encoding="utf-8")
    code, _, err = ivr(capsys, "quality", "sheet", str(bad))
    assert code == 1 and "the weights add up to 90" in err
