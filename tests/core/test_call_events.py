"""AMI events and queue_log lines to call facts (the wire text below is Asterisk 22's)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ivr.core import call_events as ce

NOW = datetime(2026, 9, 9, 11, 0, tzinfo=timezone.utc)

AGENT_CONNECT = {
    "Event": "AgentConnect", "Channel": "PJSIP/carrier-00000004", "Uniqueid": "1788000000.8",
    "Linkedid": "1788000000.8", "CallerIDNum": "13900000001", "Queue": "seat_water",
    "MemberName": "agent8", "Interface": "PJSIP/agent8", "HoldTime": "3", "RingTime": "0",
    "DestChannel": "PJSIP/agent8-00000005", "DestUniqueid": "1788000000.9",
    "ChanVariable": ["IVR_LINE=051380000304", "IVR_DEPARTMENT=water", "IVR_MODE=dedicated",
                     "IVR_RECORDING=/r/2026/09/09/1788000000.8.wav"],
    "DestChanVariable": ["IVR_LINE=", "IVR_DEPARTMENT="],
}


def test_agent_connect_is_an_answer_with_the_dialplans_variables():
    fact = ce.interpret(AGENT_CONNECT, NOW)
    assert isinstance(fact, ce.Answered)
    assert (fact.queue, fact.agent, fact.hold_time) == ("seat_water", "agent8", 3)
    assert fact.call == ce.CallInfo("1788000000.8", "1788000000.8", "13900000001", "051380000304",
                                    "water", "dedicated", "/r/2026/09/09/1788000000.8.wav")


def test_member_name_falls_back_to_the_interface():
    event = dict(AGENT_CONNECT, MemberName="")
    assert ce.interpret(event, NOW).agent == "agent8"


@pytest.mark.parametrize("event,kind", [
    ({"Event": "QueueCallerJoin", "Queue": "q12345", "Uniqueid": "1.1", "Linkedid": "1.1"}, ce.Entered),
    ({"Event": "QueueCallerAbandon", "Queue": "q12345", "Uniqueid": "1.1", "Linkedid": "1.1", "HoldTime": "12"}, ce.Abandoned),
    ({"Event": "DialEnd", "DialStatus": "ANSWER", "DestChannel": "PJSIP/departments-0000001", "Uniqueid": "1.1", "Linkedid": "1.1"}, ce.Reached),
    ({"Event": "DialEnd", "DialStatus": "NOANSWER", "DestChannel": "PJSIP/departments-0000001", "Uniqueid": "1.1", "Linkedid": "1.1"}, type(None)),
    ({"Event": "DialEnd", "DialStatus": "ANSWER", "DestChannel": "PJSIP/agent1-0000001", "Uniqueid": "1.1", "Linkedid": "1.1"}, type(None)),
    ({"Event": "Hangup", "Uniqueid": "1.1", "Linkedid": "1.1", "Cause-txt": "Normal Clearing"}, ce.Ended),
    ({"Event": "Hangup", "Uniqueid": "1.2", "Linkedid": "1.1"}, type(None)),  # the agent's leg
    ({"Event": "Newexten", "Uniqueid": "1.1"}, type(None)),
    ({}, type(None)),
])
def test_event_kinds(event, kind):
    assert isinstance(ce.interpret(event, NOW), kind)


def test_hostile_values_are_cut_and_cleaned():
    event = dict(AGENT_CONNECT, CallerIDNum="1\n2\x00" + "9" * 500, HoldTime="-5",
                 ChanVariable="IVR_LINE=05\r\n13")
    fact = ce.interpret(event, NOW)
    assert fact.call.caller == "12" + "9" * 198
    assert fact.hold_time == 0 and fact.call.line == "0513"


QUEUE_LOG = """\
1788000000|1788000000.8|seat_water|NONE|IVRINFO|051380000304|water|dedicated|/r/x.wav|13900000001
1788000000|1788000000.8|seat_water|NONE|ENTERQUEUE||13900000001|1
1788000003|1788000000.8|seat_water|PJSIP/agent8|CONNECT|3|1788000000.9|0
1788000100|1788000100.1|q12345|NONE|ENTERQUEUE||13900000002|1
1788000110|1788000100.1|q12345|NONE|ABANDON|1|1|10
garbage line
notatime|x|q|a|CONNECT|1
"""


def test_queue_log_gives_the_same_facts():
    entries = [e for e in map(ce.parse_queue_log_line, QUEUE_LOG.splitlines()) if e]
    assert len(entries) == 5
    facts = ce.from_queue_log(entries)
    kinds = [type(f).__name__ for f in facts]
    assert kinds == ["Entered", "Answered", "Entered", "Abandoned"]
    answered = facts[1]
    assert (answered.queue, answered.agent, answered.hold_time) == ("seat_water", "agent8", 3)
    assert (answered.call.linkedid, answered.call.line, answered.call.department) == ("1788000000.8", "051380000304", "water")
    assert facts[3].hold_time == 10
