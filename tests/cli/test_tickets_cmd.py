"""``ivr tickets | report | recordings verify | db upgrade`` as a supervisor uses them.

Orders are taken in through the store API (as the AMI listener does); every step after that goes
through the command line, on a fresh SQLite data directory, with IVR_CLOCK setting "now".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import structlog

from ivr import recordings as rec
from ivr.cli import main
from ivr.cli.context import os_user
from ivr.core.deadlines import Policy
from ivr.errors import TicketError
from ivr.store import open_store
from ivr.store.engine import head_revision
from support import RULES_FILE, at

T0 = at("2020-06-01 10:00")
INTAKE = dict(line="051380000102", department="transport", mode="forward", queue="q12345", agent="agent2",
              caller="13900000000")


@pytest.fixture(autouse=True)
def _fresh_logging():
    """The commands configure structlog on the captured stderr; leave no such binding behind."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RECORDINGS_DIR": str(tmp_path / "recordings"),
              "IVR_RULES": str(RULES_FILE), "IVR_CLOCK": "2020-06-01T10:30:00+08:00"}
    monkeypatch.delenv("IVR_DATABASE_URL", raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "recordings").mkdir()
    return values


@pytest.fixture
def store(env, shipped_rules):
    opened = open_store(f"sqlite:///{Path(env['IVR_DATA_DIR']) / 'ivr.sqlite3'}",
                        Policy(shipped_rules.calendar, shipped_rules.centre.timezone))
    try:
        yield opened
    finally:
        opened.close()


def ivr(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()  # drop what the test's own store calls logged
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def taken_in(store, linkedid="1591000000.1", when=T0) -> str:
    """A caller reaches the queue's door (offered) and an agent answers: the order's number."""
    store.record_call(linkedid, at=when, outcome="offered", door=True,
                      **{k: INTAKE[k] for k in ("line", "department", "mode")})
    return store.create_ticket_for_answer(linkedid, at=when, **INTAKE)[0].number


def test_a_work_order_through_the_whole_process(capsys, env, store, monkeypatch):
    number = taken_in(store)
    code, out, err = ivr(capsys, "tickets", "dispatch", number, "--unit", "transport", "--category", "complaint",
                         "--note", "bus stop sign down")
    assert (code, err) == (0, "") and out.strip() == f"{number}: dispatched, due 2020-06-16 00:00"
    monkeypatch.setenv("IVR_CLOCK", "2020-06-01T11:00+08:00")
    assert ivr(capsys, "tickets", "sign", number)[:2] == (0, f"{number}: signed\n")
    monkeypatch.setenv("IVR_CLOCK", "2020-06-03T09:00")  # naive: the centre's time
    assert ivr(capsys, "tickets", "reply", number, "--text", "sign replaced")[0] == 0
    code, out, _ = ivr(capsys, "tickets", "review", number, "--fail", "--note", "wrong stop")
    assert code == 0 and out.strip() == f"{number}: dispatched, due 2020-06-18 00:00"  # 4-5, 8-12, 15-17 June
    for step in (["sign", number], ["reply", number, "--text", "right stop now"], ["review", number, "--pass"]):
        assert ivr(capsys, "tickets", *step)[0] == 0
    store.rate("1591000000.1", 4, T0 + timedelta(days=3))  # the caller's key, as the AMI ledger records it

    code, out, _ = ivr(capsys, "tickets", "show", number, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["status"] == "archived" and shown["supervised"] and shown["dispatch_count"] == 2
    assert shown["rating"] == 4 and shown["created_at"] == "2020-06-01T10:00:00+08:00"
    me = os_user()
    assert [(h["event"], h["actor"]) for h in shown["history"]] == [
        ("receive", "ami"), ("dispatch", me), ("sign", me), ("reply", me),
        ("review", me), ("sign", me), ("reply", me), ("review", me), ("rate", "citizen")]
    code, out, _ = ivr(capsys, "tickets", "show", number)
    assert "交通运输局" in out and "archived" in out and "review" in out and "bus stop sign down" in out


def test_refusals_are_one_line_messages_not_tracebacks(capsys, env, store):
    number = taken_in(store)
    code, _, err = ivr(capsys, "tickets", "reply", number, "--text", "x")
    assert code == 1 and err.strip() == (f"error: work order {number}: cannot reply while it is received; "
                                         "allowed now: close, dispatch, rate")
    code, _, err = ivr(capsys, "tickets", "show", "12345-20200601-000099")
    assert code == 1 and err.strip() == "error: no work order numbered '12345-20200601-000099'"
    code, _, err = ivr(capsys, "tickets", "dispatch", number, "--unit", "mars", "--category", "complaint")
    assert code == 2 and "unknown unit 'mars'" in err
    # the console never offers the centre itself; the command line asks the same rule
    code, _, err = ivr(capsys, "tickets", "dispatch", number, "--unit", "centre", "--category", "complaint")
    assert code == 2 and "'centre' is the centre itself" in err
    code, _, err = ivr(capsys, "tickets", "dispatch", number, "--unit", "water", "--category", "praise")
    assert code == 2 and "'praise' is not one of" in err
    assert "Traceback" not in err


def test_staff_cannot_rate_or_pose_as_someone_else(capsys, env, store, monkeypatch):
    """The satisfaction KPI holds only what callers keyed; a step's actor is the OS account."""
    number = taken_in(store)
    code, _, err = ivr(capsys, "tickets", "rate", number, "5")
    assert code == 2 and "No such command 'rate'" in err
    code, _, err = ivr(capsys, "tickets", "close", number, "--actor", "director")
    assert code == 2 and "No such option '--actor'" in err
    monkeypatch.setenv("IVR_ACTOR", "director")
    monkeypatch.setenv("USER", "director")
    monkeypatch.setenv("LOGNAME", "director")
    assert ivr(capsys, "tickets", "close", number)[0] == 0
    assert store.get(number).history[-1].actor == os_user() != "director"
    with pytest.raises(TicketError, match="only taken from the citizen's own key press"):
        store.apply(number, "rate", "director", T0 + timedelta(hours=1), rating=5)
    assert store.get(number).order.rating is None


def test_a_bad_clock_is_named(capsys, env, store, monkeypatch):
    number = taken_in(store)
    monkeypatch.setenv("IVR_CLOCK", "yesterday")
    code, _, err = ivr(capsys, "tickets", "close", number)
    assert code == 1 and "IVR_CLOCK='yesterday' is not valid: expected an ISO time" in err


def test_list_and_the_supervision_list(capsys, env, store, monkeypatch):
    late = taken_in(store, "1.1")
    spot = taken_in(store, "1.2", T0 + timedelta(minutes=1))
    assert ivr(capsys, "tickets", "dispatch", late, "--unit", "water", "--category", "consultation", "--urgent")[0] == 0
    assert ivr(capsys, "tickets", "close", spot, "--category", "consultation")[0] == 0
    monkeypatch.setenv("IVR_CLOCK", "2020-06-02T11:00+08:00")
    code, out, _ = ivr(capsys, "tickets", "sweep")
    assert code == 0 and out.splitlines() == [f"{late}: mark_overdue", f"{late}: mark_overdue", f"{late}: escalate",
                                              "3 step(s)"]
    assert ivr(capsys, "tickets", "sweep")[1] == "0 step(s)\n"
    code, out, _ = ivr(capsys, "tickets", "list")
    rows = out.splitlines()
    assert rows[1].startswith(spot) and rows[2].startswith(late)
    assert "urgent,overdue,sign-late,escalated" in rows[2]
    code, out, _ = ivr(capsys, "tickets", "list", "--supervision", "--json")
    assert [t["number"] for t in json.loads(out)] == [late]
    assert ivr(capsys, "tickets", "list", "--status", "archived")[1] == "no work orders\n"
    assert ivr(capsys, "tickets", "list", "--status", "lost")[0] == 2


def test_report_human_and_json(capsys, env, store):
    for i in range(4):
        number = taken_in(store, f"1.{i}", T0 + timedelta(minutes=i))
        step = ["close", number] if i < 3 else ["dispatch", number, "--unit", "gas", "--category", "help_request"]
        assert ivr(capsys, "tickets", *step)[0] == 0
    store.record_call("2.1", at=T0, outcome="abandoned", line="12345", department="centre", mode="main",
                      door=True, stage="queue")
    store.record_call("3.1", at=at("2020-06-03 10:00"), outcome="abandoned", line="12345", department="centre",
                      mode="main", door=True, stage="greeting")
    code, out, _ = ivr(capsys, "report", "--from", "2020-06-01", "--to", "2020-06-01", "--json")
    data = json.loads(out)
    assert code == 0 and data["from"] == data["to"] == "2020-06-01"
    total = data["total"]
    assert (total["offered"], total["answered"], total["received"], total["on_the_spot"], total["dispatched"]) == \
        (5, 4, 4, 3, 1)
    assert total["on_the_spot_rate"] == 0.75 and total["connection_rate"] == 0.8
    assert list(data["by_unit"]) == ["gas"] and set(data["by_line"]) == {"051380000102", "12345"}
    code, out, _ = ivr(capsys, "report")
    assert code == 0 and "connection rate 66.67 %" in out and "on the spot 3 (75.00 %)" in out
    assert "units ranked by on-time replies" in out and "gas" in out
    code, _, err = ivr(capsys, "report", "--from", "2020-06-02", "--to", "2020-06-01")
    assert code == 2 and "before --from" in err


def test_recordings_verify_exit_codes(capsys, env, store):
    base = Path(env["IVR_RECORDINGS_DIR"])
    (base / "a.wav").write_bytes(b"audio" * 10)
    rec.append(base, "a.wav", "1.1", T0)
    taken_in(store, "1.1")
    store.attach_recording("1.1", str(base / "a.wav"), rec.digest(base / "a.wav")[1], 50)
    code, out, _ = ivr(capsys, "recordings", "verify")
    assert code == 0 and out.strip().endswith("1 listed recording(s) checked: OK")
    (base / "b.wav").write_bytes(b"unlisted")
    (base / "a.wav").write_bytes(b"AUDIO" * 10)
    code, out, _ = ivr(capsys, "recordings", "verify")
    assert code == 1 and "unlisted: b.wav" in out and "altered: a.wav: content changed" in out
    code, out, _ = ivr(capsys, "recordings", "verify", "--json")
    assert code == 1 and json.loads(out)["unlisted"] == ["b.wav"]


def test_db_upgrade_on_a_fresh_data_dir(capsys, env):
    code, out, _ = ivr(capsys, "db", "upgrade")
    assert code == 0 and out.strip().endswith(f"upgraded from empty to {head_revision()}")
    code, out, _ = ivr(capsys, "db", "upgrade")
    assert code == 0 and out.strip().endswith(f"already at {head_revision()}")
    assert (Path(env["IVR_DATA_DIR"]) / "ivr.sqlite3").exists()


def test_the_installed_command_runs(env):
    """The console script itself, in a process of its own (as an admin would run it)."""
    ivr_bin = Path(sys.executable).with_name("ivr")
    result = subprocess.run([str(ivr_bin), "tickets", "list"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, **env})
    assert (result.returncode, result.stdout, result.stderr) == (0, "no work orders\n", "")
    result = subprocess.run([str(ivr_bin), "db", "upgrade"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, **env, "IVR_DATABASE_URL": "mysql://x@y/z"})
    assert result.returncode == 1 and result.stderr.startswith("error: database 'mysql' is not supported")


def test_sweep_as_a_service_until_interrupted(env, store):
    """``ivr tickets sweep --every`` keeps running the scheduler's job; SIGINT stops it cleanly."""
    import signal
    import time

    number = taken_in(store)
    store.apply(number, "dispatch", "sup", T0, unit="water", category="consultation")
    ivr_bin = Path(sys.executable).with_name("ivr")
    proc = subprocess.Popen([str(ivr_bin), "tickets", "sweep", "--every", "0.2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env, "IVR_CLOCK": "2020-06-05T09:00+08:00"})
    try:
        deadline = time.monotonic() + 20
        while not store.get(number).order.escalated and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        assert store.get(number).order.escalated
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
