"""What Asterisk's queue events say about agents and waiting callers, as :mod:`ivr.core.presence`
facts. Pure: an event is a mapping of header to value, as panoramisk parses it.

Live events: QueueMemberAdded/Removed/Status/Pause (membership, pause and device state),
AgentCalled / AgentRingNoAnswer / AgentConnect / AgentComplete (the phone rings, is answered,
is done), QueueCallerJoin / QueueCallerLeave / QueueCallerAbandon (callers waiting), and the
dialplan's UserEvents on a caller's own channel: IvrDoor (a caller reached a queue's door:
waiting before joining), IvrHungUp, IvrLeftInformed and IvrCallback (a caller who hung up to be
called back: gone; one refused a callback stays and joins the queue). At each login the
QueueStatus snapshot (QueueMember and QueueEntry lines) starts the state afresh.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from ivr import dialplan_variables as dv
from ivr.core import presence as p
from ivr.core import queue_status
from ivr.core.call_events import call_info, member_name, text_of

MEMBER_EVENTS = ("QueueMemberAdded", "QueueMemberStatus", "QueueMemberPause", "QueueMemberRemoved")
AGENT_EVENTS = ("AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete")
CALLER_EVENTS = ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon")
EVENTS = MEMBER_EVENTS + AGENT_EVENTS + CALLER_EVENTS + ("UserEvent",)  # = dialplan_variables.CONSOLE_AMI_EVENTS
# what a caller who asked for a callback was told when they hung up to wait for it (callbacks.Verdict)
HUNG_UP_FOR_CALLBACK = ("", "accept", "join")


def _call(event: Mapping) -> p.Call:
    info = call_info(event)
    return p.Call(linkedid=info.linkedid, queue=text_of(event.get("Queue")), caller=info.caller,
                  line=info.line, department=info.department, mode=info.mode)


def member(event: Mapping, in_queue: bool = True) -> p.Member:
    """A QueueMember* event (or QueueStatus's QueueMember line) as a membership fact."""
    return _membership(queue_status.member(event), in_queue)


def _membership(line: queue_status.MemberLine, in_queue: bool = True) -> p.Member:
    return p.Member(agent=line.agent, queue=line.queue, in_queue=in_queue, paused=line.paused,
                    reason=line.reason, device=line.device, in_call=line.in_call)


def interpret(event: Mapping) -> p.Change | None:
    """The presence fact an AMI event states, or None."""
    name = text_of(event.get("Event"))
    if name in MEMBER_EVENTS:
        return member(event, in_queue=name != "QueueMemberRemoved")
    if name in AGENT_EVENTS:
        agent = member_name(event)
        if not agent:
            return None
        call = _call(event)
        if name == "AgentCalled":
            return p.Ringing(agent, call)
        if name == "AgentRingNoAnswer":
            return p.RingStopped(agent, call.linkedid)
        if name == "AgentConnect":
            return p.Connected(agent, call)
        return p.Completed(agent, call.linkedid)
    if name in CALLER_EVENTS:
        info = call_info(event)
        queue = text_of(event.get("Queue"))
        return p.CallerJoined(queue, info.linkedid) if name == "QueueCallerJoin" else p.CallerLeft(queue, info.linkedid)
    if name == "UserEvent":
        return _caller_step(event)
    return None


def _caller_step(event: Mapping) -> p.CallerAtDoor | p.CallerGone | None:
    """The dialplan's word on a caller, raised on the caller's own channel (anything else is not)."""
    info = call_info(event)
    if not info.linkedid or info.uniqueid != info.linkedid:
        return None
    kind = text_of(event.get("UserEvent"))
    if kind == dv.DOOR_EVENT:
        queue = text_of(event.get("Queue"))
        return p.CallerAtDoor(queue, info.linkedid) if queue else None
    if kind in (dv.HUNG_UP_EVENT, dv.LEFT_INFORMED_EVENT) or (
            kind == dv.CALLBACK_EVENT and text_of(event.get("Heard")) in HUNG_UP_FOR_CALLBACK):
        return p.CallerGone(info.linkedid)
    return None


def snapshot(events: Iterable[Mapping]) -> tuple[list[p.Member], dict[str, list[tuple[str, int]]]]:
    """QueueStatus's answer as (memberships, {queue: [(caller's linkedid, seconds waited)]})."""
    queues = queue_status.parse(events)
    members = [_membership(m) for q in queues for m in q.members]
    return members, {q.queue: [(e.linkedid, e.wait_s) for e in q.entries] for q in queues if q.listed or q.entries}
