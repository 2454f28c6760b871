"""The facts about calls the engine takes from Asterisk: pure values, keyed on the call's Linkedid.

:mod:`ivr.core.call_events` reads them from manager events and from the queue log; the ledger
(:mod:`ivr.ami.ledger`) applies them to the store, idempotently.

Facts:
    AtDoor     a caller routed to a queue reached its door, before anything they hear there (the
               dialplan's UserEvent IvrDoor, or its IVRDOOR queue-log line): the call is offered
    HungUp     a caller who passed a queue's door hung up, and where they were then (greeting,
               notice, offer, queue: the door's hangup handler, UserEvent IvrHungUp or IVRHUNGUP)
    Entered    a caller joined a 12345 queue
    Answered   an agent answered: create the work order, once
    Abandoned  the caller hung up while waiting in a queue
    Reached    a parallel call was answered by the department's own line
    Ended      the conversation ended (the recording is complete: hash it, judge it): the agent's
               AgentComplete, with Asterisk's talk time and why it ended (caller, agent, transfer),
               or the caller's channel hung up (no talk time); COMPLETECALLER/COMPLETEAGENT lines
               of the queue log carry the talk time too
    Rated      the caller rated the handling after the agent hung up (the dialplan's UserEvent
               IvrRating on the caller's channel, or its IVRRATE queue-log line)
    Transferred  the agent put the caller through to a department's own line (BlindTransfer or
               AttendedTransfer; a BLINDTRANSFER queue-log line at a resync)
    CallbackAsked  the caller asked to be called back (the dialplan's UserEvent IvrCallback on the
               caller's channel, or its IVRCALLBACK queue-log line): from a queue's key, a notice's
               or the offer's, with what the caller was told (``heard``: the callback check's verdict)
    LeftInformed  the caller heard an incident notice and left with its key (UserEvent
               IvrLeftInformed, or the IVRLEFT queue-log line)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CallInfo:
    """What the dialplan told us about a call through its channel variables."""

    linkedid: str
    uniqueid: str = ""
    caller: str = ""
    line: str = ""
    department: str = ""
    mode: str = ""
    recording: str = ""


@dataclass(frozen=True)
class AtDoor:
    call: CallInfo
    queue: str          # the queue the caller is routed to
    at: datetime


@dataclass(frozen=True)
class HungUp:
    call: CallInfo
    queue: str          # the queue the caller was routed to last
    stage: str          # where they were: ivr.core.kpi.STAGES ("" when the dialplan did not say)
    at: datetime


@dataclass(frozen=True)
class Entered:
    call: CallInfo
    queue: str
    at: datetime


@dataclass(frozen=True)
class Answered:
    call: CallInfo
    queue: str
    agent: str          # the member's name, e.g. "agent1"
    agent_channel: str
    hold_time: int      # seconds the caller waited
    at: datetime


@dataclass(frozen=True)
class Abandoned:
    call: CallInfo
    queue: str
    hold_time: int
    at: datetime


@dataclass(frozen=True)
class Reached:
    call: CallInfo
    destination: str
    at: datetime


@dataclass(frozen=True)
class Ended:
    call: CallInfo
    at: datetime
    cause: str = ""                   # Hangup's Cause-txt, or AgentComplete's Reason
    talk_seconds: int | None = None   # the bridge's length as Asterisk counted it (None: not said)


@dataclass(frozen=True)
class Rated:
    call: CallInfo
    rating: int
    at: datetime


@dataclass(frozen=True)
class Transferred:
    call: CallInfo      # the caller's call (the transferee's linkedid names the work order)
    to: str             # the number the agent dialled: a form of a department's own line
    kind: str           # ivr.core.agent_phone.TransferKind: blind, attended, threeway
    agent: str          # the transferring agent's endpoint, e.g. "agent3"
    at: datetime


@dataclass(frozen=True)
class CallbackAsked:
    call: CallInfo      # caller: the number to call back, as the carrier presented it (hostile)
    queue: str          # the queue the callback joins, at its front
    via: str            # queue_key (pressed while queued), notice_key (after the notice) or
                        # wait_offer (offered on joining, the expected wait being long)
    at: datetime
    heard: str = ""     # what the caller was told (ivr.core.callbacks.Verdict's kind; "": not checked)


@dataclass(frozen=True)
class LeftInformed:
    call: CallInfo
    queue: str          # the queue the caller would have waited in
    notice: str         # the notice's sound name
    at: datetime


Fact = (AtDoor | HungUp | Entered | Answered | Abandoned | Reached | Ended | Rated | Transferred | CallbackAsked
        | LeftInformed)
CALLBACK_VIAS = ("queue_key", "notice_key", "wait_offer")
# Where a caller who passed a queue's door was when they hung up (the dialplan's IVR_STAGE):
# before the queue while hearing the greeting, an incident notice or the callback offer; or in it.
STAGES_BEFORE_QUEUE = ("greeting", "notice", "offer")
STAGES = (*STAGES_BEFORE_QUEUE, "queue")
