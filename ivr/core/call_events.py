"""What Asterisk's manager events mean for the hotline: facts about calls, as pure values.

The AMI listener hands each event (a mapping of header to value, as panoramisk parses it) to
:func:`interpret`; the result is one of the facts of :mod:`ivr.core.call_facts`, or None for events we do not need.
The same facts come from the queue log when the listener resynchronises after a lost
connection (:func:`from_queue_log`), so both paths feed one idempotent ledger keyed on the
call's Linkedid.

Those facts are re-exported here (``ce.Entered`` ...).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from ivr import dialplan_variables as dv
from ivr.core.call_facts import (  # noqa: F401 - the facts, re-exported: callers name them ce.Entered ...
    CALLBACK_VIAS,
    STAGES,
    Abandoned,
    Answered,
    AtDoor,
    CallbackAsked,
    CallInfo,
    Ended,
    Entered,
    Fact,
    HungUp,
    LeftInformed,
    Rated,
    Reached,
    Transferred,
)
from ivr.core.text import printable

CALL_VARIABLES = (dv.LINE, dv.MODE, dv.DEPARTMENT, dv.RECORDING)


def text_of(value: object) -> str:
    if isinstance(value, list):  # a repeated header: keep the last, as Asterisk would
        value = value[-1] if value else ""
    return printable(value, 200, breaks="")


def int_of(value: object) -> int:
    try:
        return max(0, int(text_of(value)))
    except ValueError:
        return 0


def seconds_of(value: object) -> int | None:
    """A whole number of seconds Asterisk reported, or None when it said none (or nonsense)."""
    text = text_of(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def channel_variables(event: Mapping, header: str = "ChanVariable",
                      names: tuple[str, ...] = CALL_VARIABLES) -> dict[str, str]:
    """The ``ChanVariable: NAME=value`` headers of an event (manager.conf ``channelvars``)."""
    raw = event.get(header)
    if raw is None:
        return {}
    values = raw if isinstance(raw, list) else [raw]
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = str(item).partition("=")
        if sep and name in names:
            out[name] = text_of(value)
    return out


def call_info(event: Mapping, prefix: str = "") -> CallInfo:
    """The caller side of an event: ids, caller number and the dialplan's IVR_* variables
    (``prefix``: the channel's role in an event about several, e.g. "Transferee")."""
    variables = channel_variables(event, f"{prefix}ChanVariable")
    return CallInfo(
        linkedid=text_of(event.get(f"{prefix}Linkedid")) or text_of(event.get(f"{prefix}Uniqueid")),
        uniqueid=text_of(event.get(f"{prefix}Uniqueid")),
        caller=text_of(event.get(f"{prefix}CallerIDNum")),
        line=variables.get(dv.LINE, ""),
        department=variables.get(dv.DEPARTMENT, ""),
        mode=variables.get(dv.MODE, ""),
        recording=variables.get(dv.RECORDING, ""),
    )


def member_name(event: Mapping) -> str:
    name = text_of(event.get("MemberName")) or text_of(event.get("Interface"))
    return name.split("/", 1)[-1] if name.startswith("PJSIP/") else name


def interpret(event: Mapping, now: datetime) -> Fact | None:
    """The fact an AMI event states, or None. ``now`` is when the event was received."""
    name = text_of(event.get("Event"))
    if name == "QueueCallerJoin":
        return Entered(call_info(event), text_of(event.get("Queue")), now)
    if name == "AgentConnect":
        return Answered(call_info(event), text_of(event.get("Queue")), member_name(event),
                        text_of(event.get("DestChannel")), int_of(event.get("HoldTime")), now)
    if name == "QueueCallerAbandon":
        return Abandoned(call_info(event), text_of(event.get("Queue")), int_of(event.get("HoldTime")), now)
    if name == "DialEnd" and text_of(event.get("DialStatus")) == "ANSWER":
        destination = text_of(event.get("DestChannel"))
        if destination.startswith("PJSIP/departments"):
            return Reached(call_info(event), destination, now)
        return None
    if name == "AgentComplete":  # the bridge with the agent ended: the recording stopped
        info = call_info(event)
        if not info.linkedid:  # the caller's channel was gone: Asterisk sent only the agent's side
            info = replace(call_info(event, "Dest"), uniqueid="", caller="")
        if not info.linkedid:
            return None
        return Ended(info, now, text_of(event.get("Reason")), seconds_of(event.get("TalkTime")))
    if name == "Hangup":
        info = call_info(event)
        if info.uniqueid and info.uniqueid == info.linkedid:  # the caller's own channel
            return Ended(info, now, text_of(event.get("Cause-txt")))
    if name == "UserEvent" and text_of(event.get("UserEvent")) == dv.RATING_EVENT:
        info = call_info(event)
        rating = keyed_rating(event.get("Rating"))
        # raised by the dialplan on the caller's own channel, whose uniqueid is the call's linkedid
        if rating is not None and info.uniqueid and info.uniqueid == info.linkedid:
            return Rated(info, rating, now)
    if name in ("BlindTransfer", "AttendedTransfer") and text_of(event.get("Result")) == "Success":
        return _transferred(name, event, now)
    if name == "UserEvent" and text_of(event.get("UserEvent")) in DIALPLAN_EVENTS:
        return _dialplan_event(event, now)
    return None


DIALPLAN_EVENTS = (dv.CALLBACK_EVENT, dv.LEFT_INFORMED_EVENT, dv.DOOR_EVENT, dv.HUNG_UP_EVENT)


def _dialplan_event(event: Mapping, now: datetime) -> AtDoor | HungUp | CallbackAsked | LeftInformed | None:
    """A caller's step raised by the dialplan (queue.conf's door, callback.conf, notice.conf) on
    their own channel: anything raised on another channel is not a caller's."""
    info = call_info(event)
    if not info.uniqueid or info.uniqueid != info.linkedid:
        return None
    queue = text_of(event.get("Queue"))
    kind = text_of(event.get("UserEvent"))
    if kind == dv.DOOR_EVENT:
        return AtDoor(info, queue, now) if queue else None
    if kind == dv.HUNG_UP_EVENT:
        return HungUp(info, queue, stage_of(event.get("Stage")), now)
    if kind == dv.LEFT_INFORMED_EVENT:
        return LeftInformed(info, queue, text_of(event.get("Notice")), now)
    via = text_of(event.get("Via"))
    heard = text_of(event.get("Heard"))
    return CallbackAsked(info, queue, via, now, heard) if via in CALLBACK_VIAS and queue else None


def stage_of(value: object) -> str:
    """A stage the dialplan named, or "" for anything else."""
    text = text_of(value)
    return text if text in STAGES else ""


def _transferred(name: str, event: Mapping, now: datetime) -> Transferred | None:
    """The transfer an agent made, to the number dialled in the departments' lines context.

    Blind (the phone's REFER, or the blind-transfer keys): the ``Extension`` dialled. Attended
    (the keys, or the phone's REFER with Replaces): the target channel's extension when it was
    dialled there, else the department line the agent's second call rang (IVR_DESTINATION)."""
    if name == "BlindTransfer":
        to, context, kind = text_of(event.get("Extension")), text_of(event.get("Context")), "blind"
        agent = _endpoint(event.get("TransfererChannel"))
    else:
        to, context = text_of(event.get("TransferTargetExten")), text_of(event.get("TransferTargetContext"))
        kind = "threeway" if text_of(event.get("DestType")) == "Threeway" else "attended"
        agent = _endpoint(event.get("OrigTransfererChannel"))
        if context != dv.DEPARTMENT_LINES_CONTEXT:
            for role in ("SecondTransferer", "TransferTarget"):
                found = channel_variables(event, f"{role}ChanVariable", (dv.DESTINATION,))
                if found.get(dv.DESTINATION):
                    to, context = found[dv.DESTINATION], dv.DEPARTMENT_LINES_CONTEXT
                    break
    call = call_info(event, "Transferee")
    if context != dv.DEPARTMENT_LINES_CONTEXT or not to or not call.linkedid:
        return None
    return Transferred(call, to, kind, agent, now)


def _endpoint(channel: object) -> str:
    """The endpoint of a channel or interface: "PJSIP/agent3-0000000a" or "PJSIP/agent3" -> "agent3"."""
    name = text_of(channel)
    if not name.startswith("PJSIP/"):
        return name
    endpoint, dash, suffix = name[len("PJSIP/"):].rpartition("-")
    return endpoint if dash and len(suffix) == 8 else name[len("PJSIP/"):]


def keyed_rating(value: object) -> int | None:
    """A key the caller pressed as a rating 1..5, or None for anything else."""
    text = text_of(value).strip()
    return int(text) if len(text) == 1 and text in "12345" else None


@dataclass(frozen=True)
class QueueLogEntry:
    """One line of Asterisk's queue_log: ``time|callid|queue|agent|event|data1|data2|...``."""

    at: datetime
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...] = field(default_factory=tuple)


def parse_queue_log_line(line: str) -> QueueLogEntry | None:
    """Parse one queue_log line; None for anything malformed (the log is not ours to trust)."""
    parts = line.rstrip("\n").split("|")
    if len(parts) < 5:
        return None
    try:
        at = datetime.fromtimestamp(int(parts[0]), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return QueueLogEntry(at, text_of(parts[1]), text_of(parts[2]), text_of(parts[3]), text_of(parts[4]),
                         tuple(text_of(p) for p in parts[5:]))


def from_queue_log(entries: list[QueueLogEntry]) -> list[Fact]:
    """Facts recovered from queue_log lines, for calls the live listener may have missed.

    The dialplan writes an ``IVRDOOR`` line at a queue's door and an ``IVRINFO`` line before
    Queue() (both line|department|mode||caller), an ``IVRREC`` line (the recording's path) when the
    agent answers, and an ``IVRHUNGUP`` line (the stage) when a caller who passed the door hangs
    up, so a CONNECT found here carries the same details as the live AgentConnect event;
    COMPLETECALLER/COMPLETEAGENT end the call. The callid of queue_log is the caller channel's
    uniqueid, which is the call's linkedid.
    """
    info: dict[str, CallInfo] = {}
    facts: list[Fact] = []
    for e in entries:
        if e.event in ("IVRINFO", dv.DOOR_QUEUE_LOG):
            line, department, mode, recording, caller = (list(e.data) + [""] * 5)[:5]
            info[e.callid] = CallInfo(e.callid, e.callid, caller, line, department, mode, recording)
            if e.event == dv.DOOR_QUEUE_LOG and e.queue:
                facts.append(AtDoor(info[e.callid], e.queue, e.at))
            continue
        if e.event == "IVRREC":  # written when the agent answers: where the recording goes
            known = info.get(e.callid, CallInfo(e.callid, e.callid))
            info[e.callid] = replace(known, recording=e.data[0] if e.data else "")
            continue
        call = info.get(e.callid, CallInfo(e.callid, e.callid))
        if e.event in ("COMPLETECALLER", "COMPLETEAGENT"):  # holdtime|calltime|position: the bridge ended
            talk = seconds_of(e.data[1]) if len(e.data) > 1 else None
            facts.append(Ended(call, e.at, e.event.removeprefix("COMPLETE").lower(), talk))
        elif e.event == "ENTERQUEUE":
            facts.append(Entered(call, e.queue, e.at))
        elif e.event == "CONNECT":
            hold = int_of(e.data[0]) if e.data else 0
            facts.append(Answered(call, e.queue, _endpoint(e.agent), "", hold, e.at))
        elif e.event == "ABANDON":
            hold = int_of(e.data[2]) if len(e.data) > 2 else 0
            facts.append(Abandoned(call, e.queue, hold, e.at))
        elif e.event == "BLINDTRANSFER" and len(e.data) > 1 and e.data[1] == dv.DEPARTMENT_LINES_CONTEXT:
            # app_queue's own line: extension|context|holdtime|calltime|position (attended ones
            # name only a bridge, so only the live AttendedTransfer event records those)
            facts.append(Transferred(call, e.data[0], "blind", _endpoint(e.agent), e.at))
        elif e.event == dv.HUNG_UP_QUEUE_LOG:  # stage (dialplan/queue.conf's door hangup handler)
            facts.append(HungUp(call, e.queue, stage_of(e.data[0] if e.data else ""), e.at))
        elif e.event == dv.CALLBACK_QUEUE_LOG:  # via|caller|line|heard (dialplan/callback.conf)
            via, caller, line, heard = (list(e.data) + [""] * 4)[:4]
            if via in CALLBACK_VIAS:
                facts.append(CallbackAsked(replace(call, caller=call.caller or caller, line=call.line or line),
                                           e.queue, via, e.at, heard))
        elif e.event == dv.LEFT_INFORMED_QUEUE_LOG:  # notice|caller|line (dialplan/notice.conf)
            notice, caller, line = (list(e.data) + [""] * 3)[:3]
            facts.append(LeftInformed(replace(call, caller=call.caller or caller, line=call.line or line),
                                      e.queue, notice, e.at))
        elif e.event == dv.RATING_QUEUE_LOG:  # written by dialplan/rating.conf beside the UserEvent
            rating = keyed_rating(e.data[0] if e.data else "")
            if rating is not None:
                facts.append(Rated(call, rating, e.at))
    return facts
