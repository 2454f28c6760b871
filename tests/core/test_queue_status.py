"""The one reading of QueueStatus's answer: members, pauses, callers waiting, per queue."""
from __future__ import annotations

from ivr.core import queue_status


def test_members_and_callers_waiting_by_queue():
    answer = [
        {"Response": "Success", "Message": "Queue status will follow"},
        {"Event": "QueueParams", "Queue": "seat_water", "Calls": "2"},
        {"Event": "QueueMember", "Queue": "seat_water", "Name": "agent8", "Location": "PJSIP/agent8",
         "Status": "2", "Paused": "0", "PausedReason": "break", "InCall": "1", "CallsTaken": "3",
         "LastCall": "1796448600", "Wrapuptime": "15"},
        {"Event": "QueueEntry", "Queue": "seat_water", "Linkedid": "1.5", "Uniqueid": "1.6", "Wait": "42"},
        {"Event": "QueueEntry", "Queue": "seat_water", "Uniqueid": "1.7", "Wait": "x"},
        {"Event": "QueueMember", "Queue": "stray", "Interface": "PJSIP/agent3"},   # no QueueParams line
        {"Event": "QueueStatusComplete"},
    ]
    water, stray = queue_status.parse(answer)
    assert (water.queue, water.waiting, water.listed, stray.listed) == ("seat_water", 2, True, False)
    [member] = water.members
    assert (member.agent, member.device, member.status, member.in_call, member.calls_taken) == \
        ("agent8", "2", "in use", True, 3)
    assert (member.paused, member.reason, member.last_call, member.wrapup_s) == (False, "break", 1796448600.0, 15)
    assert [(e.linkedid, e.wait_s) for e in water.entries] == [("1.5", 42), ("1.7", 0)]
    assert stray.members[0].agent == "agent3" and stray.members[0].device == "0"
