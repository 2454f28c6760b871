"""Routing end to end: the real engine (``ivr agi serve``) deciding, the real Asterisk doing it.

Nothing here stands in for the engine: each test starts ``ivr agi serve`` as a child process on
the lab's FastAGI port with ``--clock`` pinned to the moment the case needs (a Monday morning,
a holiday, the day before and the day a sunset line retires), SIPp plays the carrier, the
agents' softphones and the departments' own lines, and the test asserts which party the call
reached, twice and independently:

* the SIPp party that answered (its own log of answered calls, with the number Asterisk dialled);
* the caller channel's IVR_REACHED / IVR_ANSWERED_BY / IVR_MODE / IVR_FAILSAFE, from the AMI
  Hangup event.

The main cases run on the shipped routing_rules.yaml. Only the cases that wait for a department
that never answers use a test copy whose parallel ring timeout is 3 s instead of 20 s.
"""
from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from ivr.core.masking import mask_number
from e2e.asterisk_lab import AGI_PORT, Lab, listening
from e2e.engine_process import IVR, Engine, engine_env
from e2e.routing_watch import dial_events, playbacks  # noqa: F401 - fixtures of these tests

from ivr.rules_file import load_rules
from ivr.settings import REPO_ROOT

pytestmark = pytest.mark.asterisk

SHIPPED_RULES = REPO_ROOT / "routing_rules.yaml"

# Moments in the centre's zone (Asia/Shanghai), chosen against the shipped rules' calendar.
MONDAY_MORNING = "2020-06-01T10:00"      # offices open (office_hours, service_hall)
MONDAY_EVENING = "2020-06-01T20:00"      # every department closed
NATIONAL_DAY = "2020-10-01T10:00"        # a Thursday, but a public holiday
BEFORE_RETIREMENT = "2020-07-27T10:00"   # last day of the sunset lines' transition
AFTER_RETIREMENT = "2020-07-28T10:00"    # retire_on of the sunset lines


# --- the engine -------------------------------------------------------------------------------

@pytest.fixture
def engine(lab: Lab, no_agi_server, tmp_path):
    """Factory: ``with engine(clock, rules=None) as e:`` runs ``ivr agi serve`` for the block."""
    count = iter(range(1000))

    @contextmanager
    def start(clock: str, rules: Path | None = None) -> Iterator[Engine]:
        n = next(count)
        log_path = tmp_path / f"engine-{n}.log"
        argv = [IVR, "agi", "serve", "--port", str(AGI_PORT), "--clock", clock,
                "--stats-file", str(tmp_path / f"agi-stats-{n}.json")]
        if rules is not None:
            argv += ["--rules", str(rules)]
        with log_path.open("w", encoding="utf-8") as log:
            # debug: a line per routing decision, which decided() reads
            proc = subprocess.Popen(argv, env=engine_env(lab.settings, IVR_LOG_LEVEL="debug"), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        running = Engine(proc, log_path)
        try:
            deadline = time.monotonic() + 60  # generous: a loaded 2-core box starts Python slowly
            while not listening(AGI_PORT):
                if proc.poll() is not None or time.monotonic() > deadline:
                    state = f"exited {proc.returncode}" if proc.poll() is not None else "still starting"
                    raise RuntimeError(f"`ivr agi serve` did not listen on {AGI_PORT} ({state}):\n"
                                       f"{running.log()[-3000:]}")
                time.sleep(0.05)
            yield running
        finally:
            running.stop()
            assert proc.returncode is not None
    return start


@pytest.fixture(scope="module")
def fast_rules(tmp_path_factory) -> Path:
    """The shipped rules with the parallel lines' ring timeout cut from 20 s to 3 s."""
    text = SHIPPED_RULES.read_text(encoding="utf-8")
    shortened, count = re.subn(r"dial_timeout: 20,", "dial_timeout: 3,", text)
    assert count == 14, "the shipped parallel lines changed: update this copy"
    path = tmp_path_factory.mktemp("rules") / "routing_rules.yaml"
    path.write_text(shortened, encoding="utf-8")
    rules = load_rules(path)
    assert {line.dial_timeout for line in rules.lines.values() if line.mode == "parallel"} == {3}
    return path


# --- helpers ----------------------------------------------------------------------------------

def where(hangup: dict | None) -> dict[str, str]:
    """The caller channel's routing variables at hang-up (what the dialplan did with the call)."""
    assert hangup is not None, "no Hangup event for the caller's channel"
    names = ("IVR_REACHED", "IVR_ANSWERED_BY", "IVR_MODE", "IVR_DEPARTMENT", "IVR_FAILSAFE")
    return {name: hangup["vars"].get(name, "") for name in names}


def answered_by(party) -> list[str]:
    """Who a SIPp party answered as: the number Asterisk dialled (an agent id, a department line)."""
    return [c.dialled for c in party.wait_for(1, timeout=5)]


def decided(engine: Engine, caller: str) -> bool:
    """True when the engine logged a routing decision for this caller (not a fail-safe); the log
    shows the caller masked, never whole."""
    shown = f"caller={mask_number(caller)}"
    return any("route.decided" in line and shown in line for line in engine.log().splitlines())


# --- the shipped rules, one mode at a time ------------------------------------------------------

def test_main_line_goes_straight_to_a_12345_agent(clean_queues, engine, playbacks):
    lab = clean_queues
    lab.login("agent1")
    mark = playbacks.mark()
    with engine(MONDAY_MORNING) as running, lab.agent("agent1") as agent1:
        result, hangup = lab.call("12345", talk_ms=6000, caller="13900010001")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent1) == ["agent1"]
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent1",
                             "IVR_MODE": "main", "IVR_DEPARTMENT": "centre", "IVR_FAILSAFE": ""}
    assert playbacks.played_since(mark) == list(lab.rules.prompts["greeting"])  # no key menu
    assert decided(running, "13900010001")


def test_forward_line_is_answered_by_12345_agents_who_see_the_department(clean_queues, engine):
    lab = clean_queues
    lab.login("agent2")
    with engine(MONDAY_MORNING), lab.agent("agent2") as agent2:
        result, hangup = lab.call("0513-80000102", talk_ms=6000, caller="13900010102")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent2) == ["agent2"]
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent2",
                             "IVR_MODE": "forward", "IVR_DEPARTMENT": "transport", "IVR_FAILSAFE": ""}
    # the agent's phone shows the department the citizen dialled, and the citizen's number
    shown = agent2.answered()[0]
    assert shown.caller_name == lab.rules.departments["transport"].name_zh == "交通运输局"
    assert shown.caller == "13900010102"


def test_sunset_line_before_retirement_plays_the_notice_then_reaches_12345(clean_queues, engine, playbacks):
    lab = clean_queues
    lab.login("agent3")
    mark = playbacks.mark()
    with engine(BEFORE_RETIREMENT), lab.agent("agent3") as agent3:
        # the notice lasts about 8 s: the caller stays on long enough to be answered after it
        result, hangup = lab.call("0513-80000201", talk_ms=12000, caller="13900010201")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent3) == ["agent3"]
    assert where(hangup)["IVR_REACHED"] == "queue:q12345"
    assert where(hangup)["IVR_MODE"] == "sunset"
    assert playbacks.played_since(mark) == ["hotline/sunset_notice_20200728"]  # the line's own date


def test_sunset_line_after_retirement_plays_number_retired_then_reaches_12345(clean_queues, engine, playbacks):
    lab = clean_queues
    lab.login("agent3")
    mark = playbacks.mark()
    with engine(AFTER_RETIREMENT), lab.agent("agent3") as agent3:
        # "number no longer in service, dial 12345" lasts about 5 s
        result, hangup = lab.call("0513-80000201", talk_ms=13500, caller="13900010202")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent3) == ["agent3"]
    assert where(hangup)["IVR_REACHED"] == "queue:q12345"
    assert where(hangup)["IVR_MODE"] == "sunset"
    assert playbacks.played_since(mark) == list(lab.rules.prompts["number_retired"])
    assert lab.rules.prompts["number_retired"] != lab.rules.prompts["sunset_notice"]


def test_dedicated_line_is_answered_by_its_seat_agent(clean_queues, engine, playbacks):
    lab = clean_queues
    lab.login("agent1", "agent5")
    mark = playbacks.mark()
    with engine(MONDAY_MORNING), lab.agent("agent5") as seat, lab.agent("agent1") as general:
        result, hangup = lab.call("0513-80000301", talk_ms=2500, caller="13900010301")
        assert result.ok, result.output[-2000:]
        assert answered_by(seat) == ["agent5"]
    assert general.calls() == []
    assert where(hangup) == {"IVR_REACHED": "queue:seat_environment", "IVR_ANSWERED_BY": "agent5",
                             "IVR_MODE": "dedicated", "IVR_DEPARTMENT": "environment", "IVR_FAILSAFE": ""}
    assert playbacks.played_since(mark) == []  # a seat line answers without a greeting


def test_dedicated_line_with_no_seat_agent_overflows_to_12345(clean_queues, engine):
    lab = clean_queues
    lab.login("agent3")  # agent6, the HRSS seat, is not logged in
    with engine(MONDAY_MORNING), lab.agent("agent6") as seat, lab.agent("agent3") as general:
        started = time.monotonic()
        result, hangup = lab.call("0513-80000302", talk_ms=2500, caller="13900010302")
        assert result.ok, result.output[-2000:]
        assert answered_by(general) == ["agent3"]
    assert seat.calls() == []
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent3",
                             "IVR_MODE": "dedicated", "IVR_DEPARTMENT": "hrss", "IVR_FAILSAFE": ""}
    # an empty seat overflows at once, not after the line's overflow_after (30 s)
    assert time.monotonic() - started < 15


def test_parallel_line_in_office_hours_rings_the_department(clean_queues, engine):
    lab = clean_queues
    lab.login("agent1")
    with engine(MONDAY_MORNING), lab.department_line("answer") as department, \
            lab.agent("agent1") as general:
        result, hangup = lab.call("0513-80000401", talk_ms=2500, caller="13900010401")
        assert result.ok, result.output[-2000:]
        assert answered_by(department) == ["051380002401"]
    assert general.calls() == []
    assert where(hangup) == {"IVR_REACHED": "dial:051380002401", "IVR_ANSWERED_BY": "departments",
                             "IVR_MODE": "parallel", "IVR_DEPARTMENT": "justice", "IVR_FAILSAFE": ""}


@pytest.mark.parametrize("clock, number, department_id", [
    (MONDAY_EVENING, "0513-80000402", "archives"),     # office_hours, closed at 20:00
    (NATIONAL_DAY, "0513-80000404", "power_supply"),   # service_hall, open on Thursdays, not on 1 October
], ids=["out-of-hours", "public-holiday"])
def test_parallel_line_when_the_department_is_closed_goes_to_12345(clean_queues, engine, playbacks,
                                                                  clock, number, department_id):
    lab = clean_queues
    lab.login("agent4")
    mark = playbacks.mark()
    with engine(clock), lab.department_line("answer") as department, lab.agent("agent4") as agent4:
        result, hangup = lab.call(number, talk_ms=9000, caller="13900010400")  # the notice: about 5 s
        assert result.ok, result.output[-2000:]
        assert answered_by(agent4) == ["agent4"]
    assert department.calls() == []
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent4",
                             "IVR_MODE": "parallel", "IVR_DEPARTMENT": department_id, "IVR_FAILSAFE": ""}
    assert playbacks.played_since(mark) == list(lab.rules.prompts["closed_notice"])


def test_a_2027_statutory_holiday_from_the_library_sends_a_parallel_line_to_12345(clean_queues, engine, playbacks):
    """Mid-Autumn 2027 (Wednesday 15 September, a lunar date the shipped rules do not list: 2027
    has no confirmed holiday list) closes the Justice Bureau: the call goes to the 12345 queue,
    not the department, and the engine logs that 2027's calendar is provisional."""
    lab = clean_queues
    day = lab.rules.calendar.status(date(2027, 9, 15))
    assert day.holiday == "Mid-Autumn 2027" and day.provisional
    lab.login("agent3")
    mark = playbacks.mark()
    with engine("2027-09-15T10:00") as running, lab.department_line("answer") as department, \
            lab.agent("agent3") as agent3:
        result, hangup = lab.call("0513-80000401", talk_ms=9000, caller="13900010427")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent3) == ["agent3"]
        log = running.log()
    assert department.calls() == []
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent3",
                             "IVR_MODE": "parallel", "IVR_DEPARTMENT": "justice", "IVR_FAILSAFE": ""}
    assert playbacks.played_since(mark) == list(lab.rules.prompts["closed_notice"])
    assert "calendar.unconfirmed" in log and "year=2027" in log and "days_left=0" in log


@pytest.mark.parametrize("behaviour, seen", [("busy", "busy"), ("no_answer", "ringing")])
def test_parallel_line_falls_back_to_12345_when_the_department_does_not_take_the_call(
        clean_queues, engine, fast_rules, behaviour, seen):
    lab = clean_queues
    lab.login("agent2")
    with engine(MONDAY_MORNING, rules=fast_rules), lab.department_line(behaviour) as department, \
            lab.agent("agent2") as agent2:
        started = time.monotonic()
        result, hangup = lab.call("0513-80000401", talk_ms=2500, caller="13900010403")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent2) == ["agent2"]
    assert [(c.outcome, c.dialled) for c in department.calls()] == [(seen, "051380002401")]
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent2",
                             "IVR_MODE": "parallel", "IVR_DEPARTMENT": "justice", "IVR_FAILSAFE": ""}
    # busy: at once; no answer: after the (test copy's) 3 s ring timeout, not 20 s
    assert time.monotonic() - started < 12


def test_unknown_number_reaches_a_12345_agent(clean_queues, engine):
    lab = clean_queues
    lab.login("agent1")
    with engine(MONDAY_MORNING) as running, lab.agent("agent1") as agent1:
        result, hangup = lab.call("0513-80009999", talk_ms=6000, caller="13900019999")
        assert result.ok, result.output[-2000:]
        assert answered_by(agent1) == ["agent1"]
    assert where(hangup) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent1",
                             "IVR_MODE": "unknown", "IVR_DEPARTMENT": "centre", "IVR_FAILSAFE": ""}
    assert "051380009999 is not in routing_rules.yaml" in running.log()


def test_calls_reach_12345_through_the_failsafe_once_the_engine_is_stopped(clean_queues, engine):
    lab = clean_queues
    lab.login("agent1", "agent8")
    with lab.agent("agent8") as seat, lab.agent("agent1") as general:
        with engine(MONDAY_MORNING) as running:
            result, before = lab.call("0513-80000304", talk_ms=2000, caller="13900010304")
            assert result.ok, result.output[-2000:]
            assert answered_by(seat) == ["agent8"]
        assert running.process.returncode is not None and not listening(AGI_PORT)
        result, after = lab.call("0513-80000304", talk_ms=6000, caller="13900010305")  # fail-safe greeting
        assert result.ok, result.output[-2000:]
        assert answered_by(general) == ["agent1"]
    assert where(before)["IVR_REACHED"] == "queue:seat_water" and where(before)["IVR_FAILSAFE"] == ""
    # engine down: no decision, so no seat; the fail-safe takes the caller to the general queue
    assert where(after) == {"IVR_REACHED": "queue:q12345", "IVR_ANSWERED_BY": "agent1",
                            "IVR_MODE": "", "IVR_DEPARTMENT": "", "IVR_FAILSAFE": "1"}
    assert [c.dialled for c in seat.calls()] == ["agent8"]


# --- hostile caller IDs -----------------------------------------------------------------------

HOSTILE_NAME = '\\"Bobby\\"; ${SHELL} `reboot` ;EXEC Hangup \\\\'   # SIP quoted-string escapes


@pytest.fixture
def hostile_carrier(monkeypatch, tmp_path):
    """The carrier's scenarios, with a hostile display name in the From header of its INVITE."""
    import shutil

    import ivr.sipp

    folder = tmp_path / "scenarios"
    shutil.copytree(ivr.sipp.SCENARIOS, folder)
    scenario = folder / "carrier_call.xml"
    text = scenario.read_text(encoding="utf-8")
    assert "From: <sip:[caller]@" in text
    scenario.write_text(text.replace("From: <sip:[caller]@", f'From: "{HOSTILE_NAME}" <sip:[caller]@'),
                        encoding="utf-8")
    monkeypatch.setattr(ivr.sipp, "SCENARIOS", folder)


@pytest.mark.parametrize("caller, arrives_as", [
    ("13900010666", "13900010666"),
    # percent-escapes in the From URI's user part are decoded by Asterisk into CALLERID(num);
    # the dialplan keeps only what a number may hold before the number travels to the engine
    ("139%22%24%7BSHELL%7D%60id%60", "139"),
    ("139%22%0A%24%7BSHELL%7D", "139"),  # a newline would otherwise end the FastAGI header early
], ids=["name-with-quotes-and-expansions", "number-with-quote-and-expansion", "number-with-newline"])
def test_hostile_caller_id_is_still_routed_by_the_number_dialled(clean_queues, engine, hostile_carrier,
                                                               dial_events, caller, arrives_as):
    lab = clean_queues
    lab.login("agent1", "agent8")
    with engine(MONDAY_MORNING), lab.agent("agent8") as seat, lab.agent("agent1") as general:
        result, hangup = lab.call("0513-80000304", talk_ms=2500, caller=caller)
        assert result.ok, result.output[-2000:]
        seat.wait_for(1, timeout=5)
    caller_hangup = [e for e in dial_events.events if e.get("Event") == "Hangup"
                     and e.get("Uniqueid") == (hangup or {}).get("uniqueid")]
    assert caller_hangup and caller_hangup[0]["CallerIDNum"] == arrives_as  # as the engine saw it
    assert where(hangup) == {"IVR_REACHED": "queue:seat_water", "IVR_ANSWERED_BY": "agent8",
                             "IVR_MODE": "dedicated", "IVR_DEPARTMENT": "water", "IVR_FAILSAFE": ""}
    assert [c.dialled for c in seat.answered()] == ["agent8"]
    assert general.calls() == []
