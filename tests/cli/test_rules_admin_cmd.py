"""``ivr rules history|show --version|diff|preview|apply|rollback|status|audit`` as the admin runs
them: the installed console script in real processes, on a copy of the shipped rules."""
from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from ivr import data_folder
from ivr.agi.call_log import CallLog
from ivr.core.routing import Call, decide
from support import RULES_FILE, asterisk_recorded, at, wait_until

IVR = str(Path(sys.executable).with_name("ivr"))
ME = pwd.getpwuid(os.getuid()).pw_name
FORWARD_401 = ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
               '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}''')


@pytest.fixture
def admin(tmp_path):
    rules = tmp_path / "routing_rules.yaml"
    rules.write_text(RULES_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    new = tmp_path / "new.yaml"
    new.write_text(rules.read_text(encoding="utf-8").replace(*FORWARD_401), encoding="utf-8")
    env = {**os.environ, "IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(rules),
           "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.sqlite3'}",
           "IVR_ASTERISK_CACHE": str(tmp_path / "no-asterisk"), "IVR_CLOCK": "2020-06-01T10:30"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([IVR, "rules", *args], capture_output=True, text=True, env=env, timeout=120)
    return run, rules, new, tmp_path


def test_apply_history_show_diff_rollback_and_audit(admin):
    run, rules, new, _ = admin
    shipped = rules.read_text(encoding="utf-8")
    assert run("apply", str(new)).returncode == 2                  # -m is required: say why
    applied = run("apply", str(new), "-m", "法律服务热线由12345接听")
    assert applied.returncode == 0, applied.stderr
    assert "version 2 in force" in applied.stdout and f"apply by {ME}: 法律服务热线由12345接听" in applied.stdout
    assert "asterisk" in applied.stdout and "not running" in applied.stdout
    assert rules.read_text(encoding="utf-8") == new.read_text(encoding="utf-8")

    broken = new.with_name("broken.yaml")
    broken.write_text(shipped.replace("agent1: {name", "agent1: {nme", 1), encoding="utf-8")
    refused = run("apply", str(broken), "-m", "typo")
    assert refused.returncode == 1
    assert "unknown key 'nme' (did you mean 'name'?)" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr

    rolled = run("rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert "version 3 in force" in rolled.stdout and "rollback by" in rolled.stdout
    assert rules.read_text(encoding="utf-8") == shipped

    history = json.loads(run("history", "--json").stdout)
    assert [(v["number"], v["author"], v["action"], v["restores"]) for v in history["versions"]] == [
        (3, ME, "rollback", 1), (2, ME, "apply", None), (1, "edited on disk", "disk", None)]
    assert [(e["actor"], e["message"]) for e in history["refused"]] == [(ME, "typo")]
    text = run("history").stdout
    assert "refused (not put in force)" in text and "roll back to version 1" in text

    shown = run("show", "--version", "2", "--text")
    assert shown.stdout == new.read_text(encoding="utf-8")
    assert "version 2" in shown.stderr and "法律服务热线由12345接听" in shown.stderr
    assert "051380000401   forward" in run("show", "--version", "2").stdout

    diff = run("diff", "v1", "v2").stdout
    assert "from version 1 to version 2: 1 change(s) for callers" in diff
    assert "line 051380000401: mode parallel (" in diff and "-> forward (department=justice, queue=q12345)" in diff
    assert "0 change(s)" in run("diff", "v1", "v3").stdout
    assert "1 change(s)" in run("diff", str(new)).stdout           # from the rules in force (v3) to it
    assert "no rules version 9" in run("diff", "v9").stderr

    audit = json.loads(run("audit", "--json").stdout)
    assert [(e["action"], e["outcome"]) for e in audit][:3] == [("rollback", "ok"), ("apply", "refused"), ("apply", "ok")]
    assert all(e["actor"] in (ME, "edited on disk") for e in audit)


def test_a_hand_edit_is_a_version_by_edited_on_disk(admin):
    run, rules, new, _ = admin
    assert run("history").returncode == 0
    rules.write_text(new.read_text(encoding="utf-8"), encoding="utf-8")
    versions = json.loads(run("history", "--json").stdout)["versions"]
    assert [(v["number"], v["author"]) for v in versions] == [(2, "edited on disk"), (1, "edited on disk")]


def test_preview_names_the_logged_calls_that_would_go_elsewhere(admin, shipped_rules):
    run, _, new, tmp_path = admin
    log = CallLog(data_folder.call_log(tmp_path / "var")).start()
    moments = [("0513-80000401", "13900000001", "2020-06-01 10:00"),   # open: the department, then 12345
               ("0513-80000401", "13900000002", "2020-06-01 19:00"),   # closed: 12345 already
               ("12345", "13900000003", "2020-06-01 10:01"),
               ("80000401", "13900000004", "2020-05-20 09:00"),        # open, another spelling
               ("0513-80000401", "13900000005", "2020-04-01 10:00")]   # older than 30 days
    for n, (line, caller, when) in enumerate(moments):
        log.record(at(when), line, caller, f"ivr12345-{n}", shipped_rules.sha256,
                   decide(Call(line, caller), shipped_rules, at(when)))
    assert wait_until(lambda: log.written == len(moments))
    log.stop()
    asterisk_recorded(tmp_path / "var", *((f"ivr12345-{n}", line, caller) for n, (line, caller, _) in enumerate(moments)))
    result = run("preview", str(new), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)["replay"]
    assert (data["calls"], data["elsewhere"]) == (4, 2)
    assert [(c["id"], c["caller"], c["from"], c["to"]) for c in data["changed"]] == [
        ("ivr12345-3", "13900000004", "dial:051380002401>q12345", "queue:q12345"),
        ("ivr12345-0", "13900000001", "dial:051380002401>q12345", "queue:q12345")]
    text = run("preview", str(new), "--days", "90").stdout
    [row] = [line.split() for line in text.splitlines() if line.strip().startswith("051380000401")]
    assert row[:8] == ["051380000401", "parallel", "justice", "4", "3", "dial:051380002401>q12345", "->",
                       "queue:q12345"]
    assert "2020-07-28             retired" in text
    assert any(e["action"] == "preview" for e in json.loads(run("audit", "--json").stdout))


def test_status_reports_no_part_running_and_asterisk_absent(admin):
    run, *_ = admin
    data = json.loads(run("status", "--json").stdout)
    assert [(p["part"], p["state"]) for p in data["parts"]] == [("asterisk", "not running")]
