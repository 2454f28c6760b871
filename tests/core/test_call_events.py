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


# Captured from Asterisk 22.10 (the lab): the caller hung up 3 s into the conversation.
AGENT_COMPLETE = {
    "Event": "AgentComplete", "Privilege": "agent,all", "SystemName": "ivr12345",
    "Channel": "PJSIP/carrier-00000000", "ChannelState": "6", "CallerIDNum": "13900000001",
    "Context": "ivr-queue", "Exten": "s", "Priority": "8",
    "Uniqueid": "ivr12345-1796409009.0", "Linkedid": "ivr12345-1796409009.0",
    "ChanVariable": ["IVR_LINE=12345", "IVR_MODE=", "IVR_DEPARTMENT=", "IVR_QUEUE=q12345",
                     "IVR_REACHED=queue:q12345", "IVR_ANSWERED_BY=agent1",
                     "IVR_RECORDING=/r/2026/12/05/ivr12345-1796409009.0.opus", "IVR_FAILSAFE=1"],
    "DestChannel": "PJSIP/agent1-00000001", "DestContext": "ivr-agent",
    "DestUniqueid": "ivr12345-1796409012.1", "DestLinkedid": "ivr12345-1796409009.0",
    "DestChanVariable": ["IVR_LINE=", "IVR_RECORDING=/r/2026/12/05/ivr12345-1796409009.0.opus"],
    "Queue": "q12345", "Interface": "PJSIP/agent1", "MemberName": "agent1", "HoldTime": "0",
    "TalkTime": "3", "Reason": "caller",
}


def test_agent_complete_ends_the_conversation_with_asterisks_talk_time():
    fact = ce.interpret(AGENT_COMPLETE, NOW)
    assert isinstance(fact, ce.Ended)
    assert (fact.call.linkedid, fact.cause, fact.talk_seconds) == ("ivr12345-1796409009.0", "caller", 3)
    assert (fact.call.line, fact.call.recording) == ("12345", "/r/2026/12/05/ivr12345-1796409009.0.opus")


def test_an_agent_complete_without_the_callers_side_names_the_call_by_the_agents():
    """Seen from the lab's Asterisk 22 when the caller's channel is gone as the bridge ends: the
    event has only the agent's channel (Dest*), whose linkedid is the call's."""
    event = {k: v for k, v in AGENT_COMPLETE.items()
             if k.startswith("Dest") or k in ("Event", "Queue", "MemberName", "Interface", "HoldTime",
                                              "TalkTime", "Reason")}
    fact = ce.interpret(event, NOW)
    assert (fact.call.linkedid, fact.call.uniqueid, fact.talk_seconds) == ("ivr12345-1796409009.0", "", 3)
    assert fact.call.recording == "/r/2026/12/05/ivr12345-1796409009.0.opus"
    assert ce.interpret({"Event": "AgentComplete", "TalkTime": "3"}, NOW) is None  # no call named at all


@pytest.mark.parametrize("talk, seconds", [(None, None), ("", None), ("-3", None), ("4x", None),
                                           ("９", None), ("9" * 12, None), ("0", 0), ("3600", 3600)])
def test_a_talk_time_asterisk_did_not_say_is_none_not_zero(talk, seconds):
    event = {k: v for k, v in AGENT_COMPLETE.items() if k != "TalkTime"}
    if talk is not None:
        event["TalkTime"] = talk
    assert ce.interpret(event, NOW).talk_seconds == seconds


def test_a_hangup_ends_the_call_without_a_talk_time():
    fact = ce.interpret({"Event": "Hangup", "Uniqueid": "1.1", "Linkedid": "1.1", "Cause-txt": "Normal Clearing"}, NOW)
    assert (fact.cause, fact.talk_seconds) == ("Normal Clearing", None)


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
1788000045|1788000000.8|seat_water|PJSIP/agent8|COMPLETECALLER|3|42|1
1788000100|1788000100.1|q12345|NONE|ENTERQUEUE||13900000002|1
1788000110|1788000100.1|q12345|NONE|ABANDON|1|1|10
garbage line
notatime|x|q|a|CONNECT|1
"""


def test_queue_log_gives_the_same_facts():
    entries = [e for e in map(ce.parse_queue_log_line, QUEUE_LOG.splitlines()) if e]
    assert len(entries) == 6
    facts = ce.from_queue_log(entries)
    kinds = [type(f).__name__ for f in facts]
    assert kinds == ["Entered", "Answered", "Ended", "Entered", "Abandoned"]
    answered = facts[1]
    assert (answered.queue, answered.agent, answered.hold_time) == ("seat_water", "agent8", 3)
    assert (answered.call.linkedid, answered.call.line, answered.call.department) == ("1788000000.8", "051380000304", "water")
    assert (facts[2].cause, facts[2].talk_seconds, facts[2].call.recording) == ("caller", 42, "/r/x.wav")
    assert facts[4].hold_time == 10


# Captured from Asterisk 22.10 (the lab, ``SystemName`` set): a softphone's REFER to 80002401.
BLIND_TRANSFER = {
    "Event": "BlindTransfer", "Result": "Success", "SystemName": "ivr12345",
    "TransfererChannel": "PJSIP/agent3-00000002", "TransfererContext": "ivr-agent",
    "TransfererUniqueid": "ivr12345-1795953705.2", "TransfererLinkedid": "ivr12345-1795953704.1",
    "TransfererChanVariable": ["IVR_LINE=", "IVR_QUEUE=", "IVR_ANSWERED_BY="],
    "TransfereeChannel": "PJSIP/carrier-00000001", "TransfereeCallerIDNum": "13900000077",
    "TransfereeContext": "ivr-queue", "TransfereeUniqueid": "ivr12345-1795953704.1",
    "TransfereeLinkedid": "ivr12345-1795953704.1",
    "TransfereeChanVariable": ["IVR_LINE=12345", "IVR_MODE=main", "IVR_DEPARTMENT=centre",
                               "IVR_QUEUE=q12345", "IVR_REACHED=queue:q12345", "IVR_ANSWERED_BY=agent3",
                               "IVR_RECORDING=/r/2026/11/29/ivr12345-1795953704.1.wav"],
    "IsExternal": "Yes", "Context": "ivr-department-lines", "Extension": "80002401",
}

# The in-call keys *2 80002401 (features.conf atxfer), then *3 for a three-way call.
ATTENDED_TRANSFER = {
    "Event": "AttendedTransfer", "Result": "Success",
    "OrigTransfererChannel": "PJSIP/agent3-0000000a", "OrigTransfererLinkedid": "ivr12345-1795953744.9",
    "SecondTransfererChannel": "PJSIP/agent3-0000000a", "SecondTransfererExten": "s",
    "TransfereeChannel": "PJSIP/carrier-00000009", "TransfereeCallerIDNum": "13900000077",
    "TransfereeUniqueid": "ivr12345-1795953744.9", "TransfereeLinkedid": "ivr12345-1795953744.9",
    "TransfereeChanVariable": ["IVR_LINE=12345", "IVR_QUEUE=q12345"],
    "TransferTargetChannel": "Local/80002401@ivr-department-lines-00000000;1",
    "TransferTargetContext": "ivr-department-lines", "TransferTargetExten": "80002401",
    "IsExternal": "No", "DestType": "Bridge",
}


def test_a_blind_transfer_names_the_call_the_line_and_the_agent():
    fact = ce.interpret(BLIND_TRANSFER, NOW)
    assert isinstance(fact, ce.Transferred)
    assert (fact.to, fact.kind, fact.agent, fact.at) == ("80002401", "blind", "agent3", NOW)
    assert fact.call == ce.CallInfo("ivr12345-1795953704.1", "ivr12345-1795953704.1", "13900000077",
                                    "12345", "centre", "main",
                                    "/r/2026/11/29/ivr12345-1795953704.1.wav")


def test_attended_and_threeway_transfers():
    fact = ce.interpret(ATTENDED_TRANSFER, NOW)
    assert (fact.call.linkedid, fact.to, fact.kind, fact.agent) == \
        ("ivr12345-1795953744.9", "80002401", "attended", "agent3")
    assert ce.interpret(dict(ATTENDED_TRANSFER, DestType="Threeway"), NOW).kind == "threeway"


def test_an_attended_transfer_by_the_phone_names_the_line_its_second_call_rang():
    """A phone's own attended transfer (REFER with Replaces): the target is the department's
    channel, whose dialplan position says nothing; the agent's second call carries the line."""
    event = dict(ATTENDED_TRANSFER, TransferTargetChannel="PJSIP/departments-00000004",
                 TransferTargetContext="ivr-reject", TransferTargetExten="s",
                 SecondTransfererChanVariable=["IVR_LINE=", "IVR_DESTINATION=051380002402"])
    assert ce.interpret(event, NOW).to == "051380002402"


@pytest.mark.parametrize("change", [
    {"Result": "Fail"},
    {"Result": "Invalid"},
    {"Context": "ivr-lines"},          # not through the departments' lines: not a transfer of ours
    {"Extension": ""},
    {"TransfereeLinkedid": "", "TransfereeUniqueid": ""},
])
def test_transfers_that_did_not_reach_a_department_line_are_not_facts(change):
    assert ce.interpret(dict(BLIND_TRANSFER, **change), NOW) is None


def test_a_blind_transfer_is_recovered_from_the_queue_log():
    lines = ("1795953704|ivr12345-1795953704.1|q12345|NONE|IVRINFO|12345|centre|main||13900000077\n"
             "1795953706|ivr12345-1795953704.1|q12345|agent3|BLINDTRANSFER|80002401|ivr-department-lines|0|1|1\n"
             "1795953753|ivr12345-1795953744.9|q12345|agent3|ATTENDEDTRANSFER|BRIDGE|7b8cae34|0|7|1\n"
             "1795953760|x.1|q12345|agent3|BLINDTRANSFER|0099123|ivr-lines|0|1|1\n")
    facts = ce.from_queue_log([ce.parse_queue_log_line(l) for l in lines.splitlines()])
    assert facts == [ce.Transferred(ce.CallInfo("ivr12345-1795953704.1", "ivr12345-1795953704.1",
                                                "13900000077", "12345", "centre", "main"),
                                    "80002401", "blind", "agent3",
                                    datetime.fromtimestamp(1795953706, timezone.utc))]


# Captured from Asterisk 22.10 (the lab): the queue's door and its hangup handler (dialplan/queue.conf)
DOOR = {"Event": "UserEvent", "UserEvent": "IvrDoor", "Channel": "PJSIP/carrier-00000011",
        "Uniqueid": "1795990000.21", "Linkedid": "1795990000.21", "CallerIDNum": "13900000009",
        "Queue": "q12345", "ChanVariable": ["IVR_LINE=12345", "IVR_MODE=main", "IVR_DEPARTMENT=centre"]}


def test_the_door_and_the_hangup_after_it_are_facts_of_the_callers_own_channel():
    door = ce.interpret(DOOR, NOW)
    assert isinstance(door, ce.AtDoor) and door.queue == "q12345"
    assert door.call == ce.CallInfo("1795990000.21", "1795990000.21", "13900000009", "12345", "centre", "main")
    hung = ce.interpret(dict(DOOR, UserEvent="IvrHungUp", Stage="offer"), NOW)
    assert isinstance(hung, ce.HungUp) and (hung.queue, hung.stage) == ("q12345", "offer")
    assert ce.interpret(dict(DOOR, UserEvent="IvrHungUp", Stage="$(SHELL(x))"), NOW).stage == ""
    # raised on another channel (an agent's leg): not a caller's door
    assert ce.interpret(dict(DOOR, Uniqueid="1795990000.22"), NOW) is None
    assert ce.interpret(dict(DOOR, Queue=""), NOW) is None


def test_the_door_hangups_and_the_callback_s_verdict_are_recovered_from_the_queue_log():
    lines = ("1795990000|1795990000.21|q12345|NONE|IVRDOOR|12345|centre|main||13900000009\n"
             "1795990011|1795990000.21|q12345|NONE|IVRHUNGUP|offer\n"
             "1795990100|1795990100.1|q12345|NONE|IVRDOOR|12345|centre|main||13900000010\n"
             "1795990105|1795990100.1|q12345|NONE|IVRCALLBACK|wait_offer|13900000010|12345|join\n")
    facts = ce.from_queue_log([ce.parse_queue_log_line(l) for l in lines.splitlines()])
    assert [type(f).__name__ for f in facts] == ["AtDoor", "HungUp", "AtDoor", "CallbackAsked"]
    assert facts[0].call.caller == "13900000009" and facts[0].at == datetime.fromtimestamp(1795990000, timezone.utc)
    assert facts[1].stage == "offer" and facts[1].call.line == "12345"
    assert (facts[3].via, facts[3].heard) == ("wait_offer", "join")
