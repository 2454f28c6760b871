"""Agents' states and waiting callers folded from queue events, as the desk and wallboard show them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.core import presence as p
from ivr.core import presence_events as pe
from support import at

T0 = at("2020-06-01 10:00")
CALL = p.Call("1591000000.1", "q12345", "13900000001", "12345", "centre", "main")


def state(presence: p.Presence, agent: str = "agent1", now=T0) -> tuple[str, str]:
    view = presence.agent(agent, now)
    return view.state.value, view.reason


@pytest.fixture
def presence() -> p.Presence:
    return p.Presence(("agent1", "agent2"), wrapup_s={"q12345": 5})


def test_an_agent_through_a_call(presence):
    assert state(presence) == ("logged_out", "")
    assert presence.apply(p.Member("agent1", "q12345"), T0) == {"agent1"}
    assert state(presence) == ("ready", "")
    presence.apply(p.Ringing("agent1", CALL), T0)
    assert state(presence) == ("ringing", "") and presence.agent("agent1", T0).call == CALL
    presence.apply(p.Connected("agent1", CALL), T0 + timedelta(seconds=3))
    view = presence.agent("agent1", T0)
    assert view.state is p.AgentState.TALKING and view.call.caller == "13900000001"
    assert view.since == T0 + timedelta(seconds=3)
    presence.apply(p.Completed("agent1", CALL.linkedid), T0 + timedelta(seconds=60))
    assert state(presence, now=T0 + timedelta(seconds=61)) == ("wrapup", "")
    assert presence.tick(T0 + timedelta(seconds=66)) == {"agent1"}
    assert state(presence, now=T0 + timedelta(seconds=66)) == ("ready", "")


def test_paused_with_its_reason_since_when_and_logged_out(presence):
    presence.apply(p.Member("agent1", "q12345"), T0)
    presence.apply(p.Member("agent1", "seat_water"), T0)
    presence.apply(p.Member("agent1", "q12345", paused=True, reason="break"), T0 + timedelta(minutes=1))
    assert state(presence) == ("ready", "")  # still ready in seat_water
    presence.apply(p.Member("agent1", "seat_water", paused=True, reason="break"), T0 + timedelta(minutes=1))
    view = presence.agent("agent1", T0)
    assert (view.state, view.reason, view.since) == (p.AgentState.PAUSED, "break", T0 + timedelta(minutes=1))
    assert view.queues == ("q12345", "seat_water")
    presence.apply(p.Member("agent1", "q12345", in_queue=False), T0)
    presence.apply(p.Member("agent1", "seat_water", in_queue=False), T0)
    assert state(presence) == ("logged_out", "")


def test_an_unreachable_phone_is_unavailable(presence):
    presence.apply(p.Member("agent2", "q12345", device="5"), T0)
    assert state(presence, "agent2") == ("unavailable", "")


def test_a_ring_not_answered_returns_to_ready_and_unchanged_views_are_not_reported(presence):
    presence.apply(p.Member("agent1", "q12345"), T0)
    presence.apply(p.Ringing("agent1", CALL), T0)
    assert presence.apply(p.RingStopped("agent1", CALL.linkedid), T0) == {"agent1"}
    assert state(presence) == ("ready", "")
    assert presence.apply(p.Member("agent1", "q12345"), T0) == set()  # the same again: nothing to redraw


def test_waiting_callers_and_the_longest_wait(presence):
    presence.apply(p.CallerJoined("q12345", "1.1"), T0)
    presence.apply(p.CallerJoined("q12345", "1.2"), T0 + timedelta(seconds=20))
    assert presence.waiting("q12345", T0 + timedelta(seconds=30)) == (2, 30.0)
    presence.apply(p.CallerLeft("q12345", "1.1"), T0 + timedelta(seconds=31))
    assert presence.waiting("q12345", T0 + timedelta(seconds=40)) == (1, 20.0)
    assert presence.waiting("seat_water", T0) == (0, 0.0)


def test_a_snapshot_starts_afresh_from_what_asterisk_says(presence):
    presence.apply(p.Member("agent2", "q12345"), T0)
    events = [
        {"Event": "QueueParams", "Queue": "q12345", "Calls": "1"},
        {"Event": "QueueMember", "Queue": "q12345", "Name": "agent1", "Location": "PJSIP/agent1",
         "Status": "2", "Paused": "0", "InCall": "1"},
        {"Event": "QueueMember", "Queue": "seat_water", "Name": "agent1", "Location": "PJSIP/agent1",
         "Status": "1", "Paused": "1", "PausedReason": "meeting"},
        {"Event": "QueueEntry", "Queue": "q12345", "Uniqueid": "1.9", "Wait": "42"},
    ]
    members, waiting = pe.snapshot(events)
    assert waiting == {"q12345": [("1.9", 42)]}
    assert presence.reset(members, waiting, T0) == {"agent1", "agent2"}
    assert state(presence, "agent1") == ("talking", "") and state(presence, "agent2") == ("logged_out", "")
    assert presence.waiting("q12345", T0) == (1, 42.0)


@pytest.mark.parametrize("event, expected", [
    ({"Event": "QueueMemberPause", "Queue": "q12345", "MemberName": "agent3", "Interface": "PJSIP/agent3",
      "Paused": "1", "PausedReason": "training", "Status": "1"},
     p.Member("agent3", "q12345", paused=True, reason="training", device="1")),
    ({"Event": "QueueMemberRemoved", "Queue": "q12345", "MemberName": "agent3"},
     p.Member("agent3", "q12345", in_queue=False, device="0")),
    ({"Event": "AgentConnect", "Queue": "q12345", "MemberName": "agent3", "Linkedid": "1.5", "Uniqueid": "1.5",
      "CallerIDNum": "139", "ChanVariable": ["IVR_LINE=12345", "IVR_DEPARTMENT=centre", "IVR_MODE=main"]},
     p.Connected("agent3", p.Call("1.5", "q12345", "139", "12345", "centre", "main"))),
    ({"Event": "AgentComplete", "Queue": "q12345", "MemberName": "agent3", "Linkedid": "1.5"},
     p.Completed("agent3", "1.5")),
    ({"Event": "QueueCallerAbandon", "Queue": "q12345", "Linkedid": "1.5", "Uniqueid": "1.5"},
     p.CallerLeft("q12345", "1.5")),
    ({"Event": "AgentCalled", "Queue": "q12345", "Linkedid": "1.5"}, None),   # no member: nothing
    ({"Event": "Newexten"}, None),
])
def test_events_read_as_facts(event, expected):
    assert pe.interpret(event) == expected


def test_callers_at_a_queue_s_door_wait_until_they_join_leave_or_hang_up(presence):
    """Callers hearing the greeting, a notice or the callback offer wait for an agent too."""
    presence.apply(p.CallerJoined("q12345", "1.1"), T0)
    presence.apply(p.CallerAtDoor("q12345", "1.2"), T0 + timedelta(seconds=1))
    presence.apply(p.CallerAtDoor("q12345", "1.3"), T0 + timedelta(seconds=2))
    presence.apply(p.CallerAtDoor("q12345", "1.4"), T0 + timedelta(seconds=3))
    presence.apply(p.CallerAtDoor("seat_water", "2.1"), T0 + timedelta(seconds=3))
    assert presence.waiting("q12345", T0 + timedelta(seconds=7)) == (4, 7.0)
    assert presence.waiting_total() == 5                      # the centre's, for the wallboard's chart
    # 1.2 joins: still waiting, since its door; 1.3 hangs up during the offer; 1.4 asks for a callback
    presence.apply(p.CallerJoined("q12345", "1.2"), T0 + timedelta(seconds=16))
    presence.apply(p.CallerGone("1.3"), T0 + timedelta(seconds=17))
    presence.apply(p.CallerGone("1.4"), T0 + timedelta(seconds=18))
    assert presence.waiting("q12345", T0 + timedelta(seconds=20)) == (2, 20.0)
    presence.apply(p.CallerLeft("q12345", "1.1"), T0 + timedelta(seconds=21))
    assert presence.waiting("q12345", T0 + timedelta(seconds=21)) == (1, 20.0)   # 1.2: from its door
    presence.apply(p.CallerGone("1.2"), T0 + timedelta(seconds=22))
    assert presence.waiting("q12345", T0 + timedelta(seconds=22)) == (0, 0.0)
    # a door seen again after joining (a replay) adds no second caller
    presence.apply(p.CallerJoined("seat_water", "2.1"), T0 + timedelta(seconds=5))
    presence.apply(p.CallerAtDoor("seat_water", "2.1"), T0 + timedelta(seconds=6))
    assert presence.waiting("seat_water", T0 + timedelta(seconds=6)) == (1, 3.0)
    assert presence.waiting_total() == 1


def test_a_door_whose_end_was_missed_does_not_stick(presence):
    presence.apply(p.CallerAtDoor("q12345", "1.9"), T0)
    presence.tick(T0 + p.DOOR_STALE)
    assert presence.waiting("q12345", T0 + p.DOOR_STALE)[0] == 1
    presence.tick(T0 + p.DOOR_STALE + timedelta(seconds=1))
    assert presence.waiting("q12345", T0 + p.DOOR_STALE + timedelta(seconds=1)) == (0, 0.0)
    presence.apply(p.CallerAtDoor("q12345", "1.8"), T0)
    presence.reset([], {"q12345": []}, T0 + timedelta(seconds=5))   # a resync starts from Asterisk's queues
    assert presence.waiting("q12345", T0 + timedelta(seconds=5)) == (0, 0.0)


@pytest.mark.parametrize("event,change", [
    ({"UserEvent": "IvrDoor", "Queue": "q12345"}, p.CallerAtDoor("q12345", "1.1")),
    ({"UserEvent": "IvrHungUp", "Queue": "q12345", "Stage": "offer"}, p.CallerGone("1.1")),
    ({"UserEvent": "IvrLeftInformed", "Queue": "q12345"}, p.CallerGone("1.1")),
    ({"UserEvent": "IvrCallback", "Queue": "q12345", "Via": "wait_offer", "Heard": "accept"}, p.CallerGone("1.1")),
    ({"UserEvent": "IvrCallback", "Queue": "q12345", "Via": "wait_offer", "Heard": "join"}, p.CallerGone("1.1")),
    # refused a callback: the caller stays, and joins the queue
    ({"UserEvent": "IvrCallback", "Queue": "q12345", "Via": "queue_key", "Heard": "refuse_today"}, None),
    ({"UserEvent": "IvrRating", "Rating": "5"}, None),
    ({"UserEvent": "IvrDoor", "Queue": "q12345", "Uniqueid": "1.2"}, None),   # not the caller's own channel
])
def test_the_dialplans_user_events_about_callers(event, change):
    assert pe.interpret({"Event": "UserEvent", "Uniqueid": "1.1", "Linkedid": "1.1", **event}) == change
