"""Calls through the real Asterisk: the carrier (SIPp) dials, an agent or department (SIPp) answers.

Each test asserts which party the call reached, from the answering SIPp party's own log and from
the caller channel's variables in its AMI Hangup event.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from ivr.bench import recording_size
from ivr.bench.recording_size import ogg_opus_seconds

pytestmark = pytest.mark.asterisk


def test_main_line_reaches_agent_through_failsafe_when_engine_is_down(clean_queues, no_agi_server):
    lab = clean_queues
    lab.login("agent1")
    with lab.agent("agent1") as agent1, lab.agent("agent5") as agent5:
        result, hangup = lab.call("12345", talk_ms=6000)  # the greeting lasts about 3 s
        answered = agent1.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert len(answered) == 1 and answered[0].dialled == "agent1"
    assert agent5.calls() == []
    assert hangup is not None
    assert hangup["vars"]["IVR_FAILSAFE"] == "1"
    assert hangup["vars"]["IVR_REACHED"] == "queue:q12345"
    assert hangup["vars"]["IVR_ANSWERED_BY"] == "agent1"
    recording = Path(hangup["vars"]["IVR_RECORDING"])
    assert recording.is_relative_to(lab.settings.recordings_dir)
    assert recording.name == f"{hangup['uniqueid']}.opus"
    # compressed by Asterisk once the call ended (dialplan/answered.conf): Ogg Opus; its WAV stays
    # for the engine (not running here) to compare with it and remove
    deadline = time.monotonic() + 15
    while not recording.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert recording.read_bytes()[:4] == b"OggS" and recording.with_suffix(".wav").exists()
    # the agent's pcap was mixed in while bridged: seconds of audio, not an empty stream, and the
    # compression holds all of the WAV
    assert ogg_opus_seconds(recording) > 1.0
    assert abs(ogg_opus_seconds(recording) - recording_size.seconds(recording.with_suffix(".wav"))) < 0.1


@pytest.mark.parametrize("dialled", ["051380000101", "80000101", "+8651380000101", "99999999"])
def test_any_number_reaches_the_general_queue_when_engine_is_down(clean_queues, no_agi_server, dialled):
    lab = clean_queues
    lab.login("agent2")
    with lab.agent("agent2") as agent2:
        result, hangup = lab.call(dialled, talk_ms=6000)
        answered = agent2.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert [c.dialled for c in answered] == ["agent2"]
    assert hangup["vars"]["IVR_FAILSAFE"] == "1"
    assert hangup["vars"]["IVR_REACHED"] == "queue:q12345"


def test_engine_decision_sends_call_to_dedicated_seat(clean_queues, fastagi):
    lab = clean_queues
    lab.login("agent1", "agent8")
    decision = {"IVR_MODE": "dedicated", "IVR_DEPARTMENT_NAME": "县自来水公司", "IVR_PROMPTS": "",
                "IVR_QUEUE": "seat_water", "IVR_OVERFLOW_AFTER": "20", "IVR_OVERFLOW_QUEUE": "q12345",
                "IVR_ACTION": "queue"}
    with fastagi(decision) as agi, lab.agent("agent8") as seat, lab.agent("agent1") as general:
        result, hangup = lab.call("051380000304", talk_ms=3000)
        answered = seat.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert agi.requests and agi.requests[0]["agi_network_script"] == "route"
    assert agi.requests[0]["agi_arg_1"] == "051380000304"
    assert [c.dialled for c in answered] == ["agent8"]
    assert general.calls() == []
    assert hangup["vars"]["IVR_REACHED"] == "queue:seat_water"
    assert hangup["vars"].get("IVR_FAILSAFE", "") == ""


def test_empty_seat_overflows_to_general_queue(clean_queues, fastagi):
    lab = clean_queues
    lab.login("agent1")  # nobody in seat_water
    decision = {"IVR_QUEUE": "seat_water", "IVR_OVERFLOW_AFTER": "20", "IVR_OVERFLOW_QUEUE": "q12345",
                "IVR_PROMPTS": "", "IVR_ACTION": "queue"}
    with fastagi(decision), lab.agent("agent1") as general:
        result, hangup = lab.call("051380000304", talk_ms=3000)
        answered = general.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert [c.dialled for c in answered] == ["agent1"]
    assert hangup["vars"]["IVR_REACHED"] == "queue:q12345"


def test_parallel_line_rings_the_department(clean_queues, fastagi):
    lab = clean_queues
    decision = {"IVR_DESTINATION": "051380002401", "IVR_DIAL_TIMEOUT": "10",
                "IVR_FALLBACK_QUEUE": "q12345", "IVR_PROMPTS": "", "IVR_ACTION": "dial"}
    with fastagi(decision), lab.department_line("answer") as department:
        result, hangup = lab.call("051380000401", talk_ms=3000)
        answered = department.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert [c.dialled for c in answered] == ["051380002401"]
    assert hangup["vars"]["IVR_REACHED"] == "dial:051380002401"
    assert hangup["vars"]["IVR_ANSWERED_BY"] == "departments"


def test_busy_department_falls_back_to_queue(clean_queues, fastagi):
    lab = clean_queues
    lab.login("agent3")
    decision = {"IVR_DESTINATION": "051380002402", "IVR_DIAL_TIMEOUT": "10",
                "IVR_FALLBACK_QUEUE": "q12345", "IVR_PROMPTS": "", "IVR_ACTION": "dial"}
    with fastagi(decision), lab.department_line("busy") as department, lab.agent("agent3") as agent3:
        result, hangup = lab.call("051380000402", talk_ms=3000)
        answered = agent3.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert [c.outcome for c in department.calls()] == ["busy"]
    assert [c.dialled for c in answered] == ["agent3"]
    assert hangup["vars"]["IVR_REACHED"] == "queue:q12345"


@pytest.mark.parametrize("decision", [
    {"IVR_ACTION": "transfer_to_mars"},                 # an action the dialplan does not know
    {"IVR_ACTION": "queue", "IVR_QUEUE": ""},           # a queue action without a queue
    {"IVR_ACTION": ""},                                 # nothing decided
], ids=["unknown-action", "queue-without-queue", "no-action"])
def test_unusable_decision_goes_to_failsafe(clean_queues, fastagi, decision):
    lab = clean_queues
    lab.login("agent4")
    with fastagi(decision), lab.agent("agent4") as agent4:
        result, hangup = lab.call("12345", talk_ms=6000)
        answered = agent4.wait_for(1, timeout=5)
    assert result.ok, result.output[-2000:]
    assert [c.dialled for c in answered] == ["agent4"]
    assert hangup["vars"]["IVR_FAILSAFE"] == "1"


def test_general_queue_holds_callers_when_no_agent_is_logged_in(clean_queues, no_agi_server):
    """Never a dropped call: with nobody logged in the caller waits in q12345 (joinempty)."""
    import asyncio
    import threading
    import time

    from e2e.asterisk_lab import with_session
    from ivr.ami import queues as ami

    lab = clean_queues
    outcome = {}
    caller = threading.Thread(target=lambda: outcome.update(call=lab.call("12345", talk_ms=8000)))
    caller.start()
    try:
        waiting, deadline = 0, time.monotonic() + 8  # after the greeting (about 3 s)
        while waiting == 0 and time.monotonic() < deadline:
            states = asyncio.run(with_session(lab.settings, ami.queue_states))
            waiting = {s.queue: s.waiting for s in states}["q12345"]
            time.sleep(0.2)
    finally:
        caller.join(30)
    assert waiting == 1
    result, hangup = outcome["call"]
    assert result.ok  # the caller was answered (greeting, hold music) and hung up on its own
    assert hangup["vars"].get("IVR_REACHED", "") == ""
