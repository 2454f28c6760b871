"""A backup restores: onto an empty machine, `ivr recordings verify`, `ivr recordings access-log
verify`, `ivr report` and the work orders say what they say on the original (SQLite and
PostgreSQL); a damaged backup or a machine that is not empty is refused with nothing written."""
from __future__ import annotations

import json
import os
import stat
from datetime import timedelta

import pytest

from backup.conftest import Machine
from ivr import recordings
from ivr.access_log import AccessLog, log_path
from ivr.spool import Spool
from ivr.asterisk.secrets import load_or_create, secrets_path
from ivr.backup.restore import restore
from ivr.backup.take import take_backup
from ivr.core import call_events as ce
from ivr.errors import BackupError
from ivr.store import open_store, policy_for
from ivr.store.audit import AuditStore
from support import at

DAY = "2026-12-04"
IN_PROGRESS = "1780000000.5"


def populate(machine: Machine, rules) -> None:
    """Six answered calls (five recorded and listed, one removed by the retention period, one
    still being recorded), a rating, a dispatch, auditors' accesses, a fact the database has not
    taken yet, secrets, a prompt."""
    machine.install_config()
    s = machine.settings
    store = open_store(s.database_url, policy_for(rules))
    try:
        for n in range(6):
            linkedid = f"1780000000.{n}"
            path = s.recordings_dir / "2026/12/04" / f"{linkedid}.opus"
            ticket, _ = store.create_ticket_for_answer(
                linkedid, at=at(f"{DAY} 09:00") + timedelta(minutes=n), line="12345", department="centre",
                mode="main", caller=f"1390513000{n}", queue="q12345", agent="agent1", recording_path=str(path))
            if linkedid == IN_PROGRESS:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(3000 + n))
            entry = recordings.append(s.recordings_dir, path, linkedid, at(f"{DAY} 09:30"))
            store.attach_recording(linkedid, str(path), entry.sha256, entry.size)
        recordings.append_removal(s.recordings_dir, "2026/12/04/1780000000.4.opus", at(f"{DAY} 10:00"),
                                  "retention", "ivr")
        (s.recordings_dir / "2026/12/04/1780000000.4.opus").unlink()
        store.rate("1780000000.0", 4, at(f"{DAY} 09:10"))
        number = store.by_linkedid("1780000000.1").number
        store.apply(number, "close", "li", at(f"{DAY} 09:20"), category="consultation", title="咨询")
        log = AccessLog(log_path(s.data_dir), AuditStore(store.engine, store.tz))
        for what in ("search", "play", "download"):
            log.append(at=at(f"{DAY} 11:00"), user="chen", role="auditor", address="10.0.0.7", action=what,
                       what=number, result="ok")
    finally:
        store.close()
    pending = ce.Answered(call=ce.CallInfo(linkedid="1780000000.99", caller="13905139999", line="12345"),
                          queue="q12345", agent="agent2", agent_channel="PJSIP/agent2", hold_time=3,
                          at=at(f"{DAY} 12:00"))
    Spool(s.data_dir / "ami" / "spool").append([pending])
    load_or_create(secrets_path(s.data_dir), rules.agents)
    (s.data_dir / "secrets" / "tls").mkdir(mode=0o700)
    (s.data_dir / "secrets" / "tls" / "asterisk.key").write_text("-----BEGIN PRIVATE KEY-----\n")
    sounds = s.data_dir / "asterisk" / "sounds" / "hotline"
    sounds.mkdir(parents=True)
    (sounds / "greeting.wav").write_bytes(b"RIFF" + os.urandom(500))


def said(machine: Machine, *args: str, root: str) -> dict:
    """``ivr ARGS --json`` on ``machine``, its recordings folder written as <rec>."""
    done = machine.ivr(*args, "--json")
    assert "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout.replace(root, "<rec>"))


def agree(original: Machine, restored: Machine) -> None:
    roots = (str(original.settings.recordings_dir.resolve()), str(restored.settings.recordings_dir.resolve()))
    for args in (("recordings", "verify"), ("recordings", "access-log", "verify"),
                 ("report", "--from", "2026-12-01", "--to", "2026-12-31"),
                 ("tickets", "list", "--limit", "1000")):
        before, after = (said(m, *args, root=r) for m, r in zip((original, restored), roots))
        for data in (before, after):
            if isinstance(data, dict):
                data.pop("dir", None), data.pop("log", None)
        assert before == after, args


def test_a_backup_restores_onto_an_empty_machine_and_says_what_the_original_says(machines, shipped_rules, tmp_path):
    original, empty = machines
    populate(original, shipped_rules)
    dest = tmp_path / "backup"
    manifest = take_backup(original.settings, dest, original.trunks, wait_recordings=0)
    assert manifest.database["orders"] == 6
    assert manifest.recordings["copied"] == 4 and manifest.recordings["removed"] == 1
    assert [o["number"][-6:] for o in manifest.recordings["recorded_after_copy"]] == ["000006"]
    assert manifest.access_log == {"entries": 3, "last_seq": 3}
    assert manifest.spool == {"pending": 1, "aside": 0}
    assert manifest.problems == []
    assert stat.S_IMODE((dest / "secrets").stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in (dest / "secrets").rglob("*") if p.is_file()} == {0o600}
    assert set(manifest.secrets) == {"asterisk.json", "tls/asterisk.key"}
    assert not any(path.startswith("secrets/") for path in manifest.files)

    done = restore(empty.settings, dest, empty.trunks)
    assert (done.orders, done.recordings, done.spooled) == (6, 4, 1)
    assert done.relocated == 6  # the orders name this machine's recordings folder now
    agree(original, empty)
    verify = said(empty, "recordings", "verify", root=str(empty.settings.recordings_dir.resolve()))
    assert (verify["checked"], verify["removed"], verify["missing"]) == (5, ["2026/12/04/1780000000.4.opus"], [])
    assert [p for p in verify["problems"] if IN_PROGRESS not in p] == []  # the one recorded after the copy
    assert said(empty, "tickets", "intake", root="-")["pending"] == 1  # for the next engine to apply
    assert stat.S_IMODE((empty.settings.data_dir / "secrets" / "asterisk.json").stat().st_mode) == 0o600
    assert (empty.settings.data_dir / "asterisk/sounds/hotline/greeting.wav").read_bytes() == \
        (original.settings.data_dir / "asterisk/sounds/hotline/greeting.wav").read_bytes()
    assert (empty.root / "conf" / "routing_rules.yaml").read_bytes() == \
        (original.root / "conf" / "routing_rules.yaml").read_bytes()

    again = empty.ivr("restore", str(dest))  # never onto a machine that has data
    assert again.returncode == 1 and "not empty: a restore goes onto an empty data folder" in again.stderr


def test_a_recording_finished_while_the_backup_waits_is_in_it(machines, shipped_rules, tmp_path):
    original, _ = machines
    populate(original, shipped_rules)
    s = original.settings
    waits = []

    def recording_ends(seconds: float) -> None:  # the call in progress hangs up while we wait
        waits.append(seconds)
        path = s.recordings_dir / "2026/12/04" / f"{IN_PROGRESS}.opus"
        path.write_bytes(os.urandom(4000))
        recordings.append(s.recordings_dir, path, IN_PROGRESS, at(f"{DAY} 13:00"))

    manifest = take_backup(s, tmp_path / "backup", original.trunks, wait_recordings=30, sleep=recording_ends)
    assert len(waits) == 1
    assert manifest.recordings["recorded_after_copy"] == [] and manifest.recordings["copied"] == 5
    assert f"recordings/2026/12/04/{IN_PROGRESS}.opus" in manifest.files


def test_a_damaged_backup_is_refused_and_nothing_is_written(machines, shipped_rules, tmp_path):
    original, empty = machines
    populate(original, shipped_rules)
    dest = tmp_path / "backup"
    take_backup(original.settings, dest, original.trunks, wait_recordings=0)
    victim = dest / "recordings/2026/12/04/1780000000.2.opus"
    victim.write_bytes(victim.read_bytes()[:-1] + b"\0")
    check = empty.ivr("restore", str(dest), "--check")
    assert check.returncode == 1 and f"{victim}: {victim.stat().st_size} bytes sha256" in check.stdout
    with pytest.raises(BackupError, match="does not check, nothing was restored"):
        restore(empty.settings, dest, empty.trunks)
    assert not empty.settings.data_dir.exists() and not empty.settings.recordings_dir.exists()


def test_a_backup_goes_into_an_empty_folder_and_names_where_its_secrets_went(machines, shipped_rules, tmp_path):
    original, _ = machines
    populate(original, shipped_rules)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    refused = original.ivr("backup", str(tmp_path / "used"))
    assert refused.returncode == 1 and "is not empty: a backup goes into a new or empty folder" in refused.stderr
    done = original.ivr("backup", str(tmp_path / "b"), "--secrets-to", str(tmp_path / "vault"),
                        "--wait-recordings", "0")
    assert done.returncode == 0, done.stderr
    assert "1 order(s) recorded after the copy" in done.stdout and "2 secret(s) in" in done.stdout
    assert not (tmp_path / "b" / "secrets").exists()
    assert stat.S_IMODE((tmp_path / "vault").stat().st_mode) == 0o700
    check = original.ivr("restore", str(tmp_path / "b"), "--check")
    assert check.returncode == 1 and "--secrets-from" in check.stderr
    check = original.ivr("restore", str(tmp_path / "b"), "--check", "--secrets-from", str(tmp_path / "vault"))
    assert check.returncode == 0 and check.stdout.strip().endswith("checked: OK"), check.stdout


def test_a_backup_of_a_newer_engine_is_refused_before_anything_is_written(machines, shipped_rules, tmp_path):
    original, empty = machines
    populate(original, shipped_rules)
    dest = tmp_path / "backup"
    take_backup(original.settings, dest, original.trunks, wait_recordings=0)
    listing = json.loads((dest / "backup.json").read_text())
    listing["database"]["revision"] = "9999_from_the_future"
    (dest / "backup.json").write_text(json.dumps(listing))
    with pytest.raises(BackupError, match="schema revision 9999_from_the_future, which this code does not know"):
        restore(empty.settings, dest, empty.trunks)
    assert not empty.settings.data_dir.exists()
