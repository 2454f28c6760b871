"""``ivr demo``: its pure part (the plan, the expectations, the verdict) and one real run.

The real run starts ``ivr demo --json`` as a child process, as ``make demo`` does: its own
Asterisk, engine and SIPp parties on ports shifted past the end-to-end lab's, so it may run in
the same session as the lab. Its verdicts are then checked independently where that is
possible: every line of the rules was called, each recording's checksum is recomputed here,
and nothing the demo started is left running.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from e2e.asterisk_lab import _OFFSET, listening
from e2e.engine_process import IVR

from ivr import demo
from ivr.asterisk import service
from ivr.bench.recording_size import ogg_opus_seconds
from ivr.core.decision import Action, Decision, Mode
from ivr.core.numbers import normalize_number
from ivr.core.routing import Call, decide
from ivr.rules_file import load_rules
from ivr.settings import REPO_ROOT, Settings

RULES = load_rules(REPO_ROOT / "routing_rules.yaml")
TZ = RULES.centre.timezone
AT = datetime(2020, 6, 1, 10, 0, tzinfo=TZ)  # the demo's default clock: a Monday morning


# --- the plan ---------------------------------------------------------------------------------

def test_burst_calls_every_line_once_and_a_number_not_in_the_rules():
    plan = demo.plan_burst(RULES, AT)
    lines = [c.line for c in plan]
    assert sorted(filter(None, lines)) == sorted(RULES.lines)
    unknown = [c for c in plan if c.mode == "unknown"]
    assert len(unknown) == 1 and RULES.line(unknown[0].dialled) is None
    assert len({c.caller for c in plan}) == len(plan)  # one caller number per call
    assert [c.seq for c in plan] == list(range(1, len(plan) + 1))


def test_every_dialled_form_is_the_same_line_for_the_engine():
    plan = demo.plan_burst(RULES, AT)
    forms = {c.dialled[:3] for c in plan}
    assert {"051", "800", "+86"} <= forms  # canonical, local 8 digits, +86
    for call in plan:
        if call.line:
            assert normalize_number(call.dialled, RULES.centre.area_code) == call.line


def test_more_calls_than_lines_go_round_the_inventory_again():
    plan = demo.plan_burst(RULES, AT, calls=40)
    assert len(plan) == 40
    assert plan[32].dialled == plan[0].dialled and plan[32].caller != plan[0].caller


def test_failsafe_calls_cover_each_mode_and_expect_the_general_queue():
    calls = demo.plan_failsafe(RULES, AT, first_seq=50)
    assert {c.mode for c in calls} == {"main", "forward", "sunset", "dedicated", "parallel"}
    assert all(c.failsafe and c.expected == "queue:q12345" and c.phase == "failsafe" for c in calls)
    assert [c.seq for c in calls] == list(range(50, 50 + len(calls)))


def _decision(**fields) -> Decision:
    base = {"action": Action.QUEUE, "line": "051380000301", "mode": Mode.DEDICATED, "department": "environment"}
    return Decision(**{**base, **fields})


@pytest.mark.parametrize("decision, staffed, expected", [
    (_decision(queue="q12345"), {"q12345": 4}, ("queue:q12345", "q12345")),
    (_decision(queue="seat_environment", overflow_queue="q12345", overflow_after=30),
     {"q12345": 4, "seat_environment": 1}, ("queue:seat_environment", "seat_environment")),
    # nobody logged in to the seat: the rules overflow the call at once
    (_decision(queue="seat_environment", overflow_queue="q12345", overflow_after=30),
     {"q12345": 4}, ("queue:q12345", "q12345")),
    (_decision(action=Action.DIAL, destination="051380002401", dial_timeout=20, fallback_queue="q12345"),
     {}, ("dial:051380002401", "departments")),
    (_decision(action=Action.PROMPT_ONLY, prompts=("ss-noservice",)), {}, ("prompt_only", "")),
], ids=["general", "staffed-seat", "empty-seat", "department-line", "prompt-only"])
def test_expectation(decision, staffed, expected):
    assert demo.expectation(decision, staffed) == expected


def test_the_demo_expects_what_decide_says_at_its_clock():
    by_line = {c.line: c for c in demo.plan_burst(RULES, AT) if c.line}
    library = decide(Call("051380000403"), RULES, AT)   # closed on Mondays
    justice = decide(Call("051380000401"), RULES, AT)   # open
    assert by_line["051380000403"].expected == f"queue:{library.queue}" == "queue:q12345"
    assert by_line["051380000401"].expected == f"dial:{justice.destination}"
    retired = demo.plan_burst(RULES, datetime(2020, 7, 28, 10, 0, tzinfo=TZ))
    assert {c.reason for c in retired if c.mode == "sunset"} != {by_line["051380000201"].reason}


# --- the verdict ------------------------------------------------------------------------------

def _call(expected="queue:q12345", failsafe=False) -> demo.PlannedCall:
    return demo.PlannedCall(seq=1, phase="burst", dialled="12345", caller="13905130001", line="12345",
                            department="centre", department_name="12345 Hotline Centre", mode="main",
                            expected=expected, failsafe=failsafe, reason="", prompts=(), resource="q12345")


def _seen(reached="queue:q12345", failsafe=False, carrier_ok=True, hangup_seen=True) -> demo.Outcome:
    return demo.Outcome(carrier_ok=carrier_ok, hangup_seen=hangup_seen, reached=reached,
                        answered_by="agent1", failsafe=failsafe)


@pytest.mark.parametrize("call, outcome, ok", [
    (_call(), _seen(), True),
    (_call(), _seen(reached="queue:seat_water"), False),
    (_call(), _seen(reached=""), False),                          # the caller gave up waiting
    (_call(), _seen(failsafe=True), False),                       # right place, but the engine failed
    (_call(failsafe=True), _seen(failsafe=True), True),
    (_call(failsafe=True), _seen(), False),
    (_call(), _seen(carrier_ok=False), False),
    (_call(), _seen(hangup_seen=False), False),
    (_call("dial:051380002401"), _seen(reached="dial:051380002401"), True),
    (_call("dial:051380002401"), _seen(reached="queue:q12345"), False),  # fell back: not what the rules say in hours
    (_call("prompt_only"), _seen(reached="", carrier_ok=False), True),
    (_call("prompt_only"), _seen(reached="queue:q12345"), False),
])
def test_is_ok(call, outcome, ok):
    assert demo.is_ok(call, outcome) is ok


def _row(caller, reached, answered_by="agent1", linkedid=""):
    return {"caller": caller, "reached": reached, "answered_by": answered_by, "line": "12345",
            "linkedid": linkedid}


def _ticket(caller, agent="agent1", sha="ab" * 32):
    return {"caller": caller, "agent": agent, "recording_sha256": sha, "number": f"12345-{caller}",
            "line": "12345", "department": "centre", "mode": "main", "recording_path": "/r.wav",
            "recording_size": 30000}


def test_check_tickets_wants_one_order_per_agent_answered_call_and_none_otherwise():
    calls = [_row("1", "queue:q12345"), _row("2", "queue:q12345"), _row("3", "dial:051380002401"),
             _row("4", "queue:seat_water", answered_by="agent8"), _row("5", "queue:q12345"),
             _row("6", "")]
    tickets = [_ticket("1"), _ticket("2", sha=None), _ticket("3"), _ticket("4", agent="agent8"),
               _ticket("5"), _ticket("5")]
    verdict = {t["caller"]: t for t in demo.check_tickets(calls, tickets)}
    assert verdict["1"]["ok"] and verdict["4"]["ok"]
    assert verdict["2"]["problems"] == ["no recording checksum"]
    assert verdict["3"]["problems"] == ["a work order for a call no agent answered"]
    assert verdict["5"]["problems"] == ["2 work orders for an answered call"]
    assert "6" not in verdict


def test_check_recordings_faults_anything_unlisted_missing_or_altered():
    calls = [_row("1", "queue:q12345", linkedid="ivr-1.0"), _row("2", "dial:051380002401", linkedid="ivr-2.0")]
    tickets = [_ticket("1")]
    clean = {"checked": 1, "missing": [], "altered": [], "unlisted": [], "problems": [], "ok": True}
    assert demo.check_recordings(clean, calls, tickets)["ok"]
    stranger = dict(clean, unlisted=["2020/06/01/ivr-9.0.wav"])
    assert demo.check_recordings(stranger, calls, tickets)["problems"] == ["not listed: 2020/06/01/ivr-9.0.wav"]
    altered = dict(clean, altered=["2020/06/01/ivr-1.0.wav"])
    assert not demo.check_recordings(altered, calls, tickets)["ok"]
    assert not demo.check_recordings(dict(clean, checked=0), calls, tickets)["ok"]
    cut = dict(clean, flagged=["12345-20200601-000001: recording short: 0.3 s recorded of 6.0 s talk"])
    assert demo.check_recordings(cut, calls, tickets)["problems"] == [
        "incomplete: 12345-20200601-000001: recording short: 0.3 s recorded of 6.0 s talk"]
    left = dict(clean, leftovers=["2020/06/01/ivr-1.0.opus.part: an unfinished compression"])
    assert not demo.check_recordings(left, calls, tickets)["ok"]


def test_text_report_says_mismatch_and_the_verdict():
    result = {"at": "2020-06-01T10:00:00+08:00", "ok": False, "tickets": [], "data_dir": "/srv/demo",
              "recordings_check": {"checked": 0, "ok": True, "problems": []},
              "report": {"total": {"offered": 1, "answered": 0, "abandoned": 1, "connection_rate": 0.0,
                                   "received": 0, "on_the_spot": 0, "dispatched": 0}},
              "calls": [demo.call_record(_call(), _seen(reached=""), RULES)]}
    text = "\n".join(demo.render_text(result))
    assert "MISMATCH #1 12345" in text and "0 of 1 calls" in text
    assert "connection rate 0.0 %" in text and "PROBLEMS FOUND" in text
    assert "IVR_DATA_DIR=/srv/demo IVR_DATABASE_URL=sqlite:////srv/demo/tickets.sqlite3" in text  # how to look again


def test_a_folder_the_demo_did_not_make_is_not_wiped(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(demo.DemoError, match="not made by `ivr demo`"):
        demo.prepare_folder(tmp_path)
    assert (tmp_path / "precious.txt").exists()
    fresh = tmp_path / "demo"
    demo.prepare_folder(fresh)
    (fresh / "old.log").write_text("from the last run")
    demo.prepare_folder(fresh)
    assert sorted(p.name for p in fresh.iterdir()) == [demo.MARKER]


# --- one real run -----------------------------------------------------------------------------

# Past every port of the end-to-end lab of the same offset (SIP 5160.., agents 5200.., departments 5290..).
DEMO_OFFSET = 1000 + _OFFSET


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``ivr demo --json`` once; its parsed output, exit code, time and folder."""
    folder = tmp_path_factory.mktemp("demo") / "var"
    ports = demo.Ports(DEMO_OFFSET)
    started = time.monotonic()
    left: dict = {}
    try:
        done = subprocess.run([IVR, "demo", "--json", "--port-offset", str(DEMO_OFFSET), "--data-dir", str(folder)],
                              capture_output=True, text=True, timeout=300, check=False)
        seconds = time.monotonic() - started
        udp = [ports.sip, ports.departments, *(ports.agent(i) for i in range(len(RULES.agents))),
               *(ports.carrier(slot) for slot in range(6))]
        left = {"asterisk": False, "tcp": [p for p in (ports.agi, ports.ami, ports.web) if listening(p)],
                "udp": [p for p in udp if not demo.udp_free(p)]}
    finally:  # whatever happened, nothing of the demo may stay up
        settings = Settings.from_env({"IVR_DATA_DIR": str(folder)})
        if service.status(settings).running:
            left["asterisk"] = True
            service.down(settings)
    assert done.stdout.strip(), done.stderr[-3000:]
    return {"result": json.loads(done.stdout), "code": done.returncode, "stderr": done.stderr,
            "seconds": seconds, "folder": folder, "left": left}


@pytest.mark.asterisk
def test_demo_calls_every_line_and_each_goes_where_the_rules_say(demo_run):
    result = demo_run["result"]
    assert demo_run["code"] == 0, [c for c in result["calls"] if not c["ok"]] or demo_run["stderr"][-3000:]
    assert result["ok"] and all(result["checks"].values())
    calls = result["calls"]
    assert all(c["ok"] for c in calls)
    assert sorted({c["line"] for c in calls if c["phase"] == "burst" and c["line"]}) == sorted(RULES.lines)
    assert any(c["mode"] == "unknown" for c in calls)
    for c in calls:
        assert c["reached"] == c["expected"], c
    # the parties answering are the ones the rules name
    seats = {c["reached"]: c["answered_by"] for c in calls if c["reached"].startswith("queue:seat_")}
    assert seats == {f"queue:{q}": a.id for a in RULES.agents.values() for q in a.queues if q.startswith("seat_")}
    assert {c["answered_by"] for c in calls if c["reached"].startswith("dial:")} == {"departments"}
    # the fail-safe step: the routing engine killed, calls of every mode still reach 12345 agents
    failsafe = [c for c in calls if c["phase"] == "failsafe"]
    assert len(failsafe) >= 5
    assert all(c["failsafe"] and c["reached"] == "queue:q12345" and c["answered_by"] in
               {a.id for a in RULES.agents.values() if "q12345" in a.queues} for c in failsafe)
    assert not any(c["failsafe"] for c in calls if c["phase"] == "burst")


@pytest.mark.asterisk
def test_demo_answered_calls_have_one_work_order_each_with_a_verified_recording(demo_run):
    result = demo_run["result"]
    answered = {c["caller"]: c for c in result["calls"] if c["reached"].startswith("queue:")}
    tickets = {t["caller"]: t for t in result["tickets"]}
    assert set(tickets) == set(answered)
    for caller, ticket in tickets.items():
        assert ticket["ok"], ticket
        assert ticket["agent"] == answered[caller]["answered_by"]
        recording = Path(ticket["recording"])
        assert recording.is_relative_to(demo_run["folder"] / "recordings")
        assert hashlib.sha256(recording.read_bytes()).hexdigest() == ticket["recording_sha256"]
        assert recording.suffix == ".opus" and ogg_opus_seconds(recording) > 1.0  # audio, not just a header
    assert result["recordings_check"]["ok"] and result["recordings_check"]["checked"] == len(tickets)
    assert not result["recordings"]["missing"] and not result["recordings"]["altered"]
    assert not result["recordings"]["unlisted"]  # department lines' calls are not recorded
    assert any(c["reached"].startswith("dial:") for c in result["calls"])
    total = result["report"]["total"]
    assert total["offered"] == total["answered"] == total["received"] == len(answered)
    assert total["abandoned"] == 0
    assert all(t["number"].startswith("12345-20200601-") for t in result["tickets"])  # the demo's own date


@pytest.mark.asterisk
def test_demo_agents_complete_every_order_at_the_desk(demo_run):
    """The agents log in to the console and write each order down through its form: three in four
    answered on the spot, the rest dispatched, and the KPI report counts both."""
    result = demo_run["result"]
    desk = result["desk"]
    assert desk and all(d["ok"] for d in desk), [d for d in desk if not d["ok"]]
    assert {d["number"] for d in desk} == {t["number"] for t in result["tickets"]}
    closed = [d for d in desk if d["outcome"] == "close"]
    dispatched = [d for d in desk if d["outcome"] == "dispatch"]
    assert closed and dispatched and len(closed) >= 2 * len(dispatched)
    total = result["report"]["total"]
    assert (total["on_the_spot"], total["dispatched"]) == (len(closed), len(dispatched))
    assert all(a["password"] is None for a in result["console"]["accounts"])  # not kept: not printed


@pytest.mark.asterisk
def test_demo_stops_everything_it_started(demo_run):
    assert demo_run["left"] == {"asterisk": False, "tcp": [], "udp": []}
    print(f"\nthe demo took {demo_run['seconds']:.0f} s")  # about 90 s on an idle 2-core box


@pytest.mark.asterisk
def test_no_log_the_demo_leaves_holds_a_callers_whole_number(demo_run):
    """Engine, console and Asterisk: every log file of the run, at the levels the demo runs."""
    folder = demo_run["folder"]
    callers = {c["caller"] for c in demo_run["result"]["calls"] if len(c.get("caller") or "") >= 7}
    assert callers
    harness = (".calls.log", ".errors.log", ".sipp.out")   # SIPp's own records of the calls it made
    logs = [p for p in folder.rglob("*") if p.is_file() and (p.suffix == ".log" or ".log." in p.name)
            and not p.name.endswith(harness)]
    assert any(p.name.startswith("engine") for p in logs) and any(p.name == "messages.log" for p in logs), logs
    found = {str(p.relative_to(folder)): sorted(c for c in callers if c in p.read_text(errors="replace"))
             for p in logs}
    assert {k: v for k, v in found.items() if v} == {}
    print(f"\n{len(logs)} log files, {len(callers)} callers' numbers: none whole")
