"""Asterisk's answer to the AMI action ``QueueStatus``, read once for every part that asks.

The answer is an event list: per queue one ``QueueParams`` (``Calls``: callers waiting), one
``QueueMember`` per member (``Name``/``MemberName``, ``Location``/``Interface``, ``Status`` the
device state number, ``Paused`` and ``PausedReason``, ``InCall``, ``CallsTaken``, ``LastCall``
in Unix seconds of Asterisk's clock, ``Wrapuptime``), one ``QueueEntry`` per caller waiting
(``Linkedid``/``Uniqueid``, ``Wait`` in seconds), then ``QueueStatusComplete``. The command
line's ``ivr agents list``, the console's presence and the callbacks' count of free agents all
read it through :func:`parse`, so they cannot disagree on what Asterisk said.

Pure: each event is a mapping of header to value, as panoramisk parses it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ivr.core.call_events import int_of, text_of

# AST_DEVICE_* numbers as QueueMember lines and events give them.
DEVICE_STATES = {"0": "unknown", "1": "not in use", "2": "in use", "3": "busy", "4": "invalid",
                 "5": "unavailable", "6": "ringing", "7": "ringing, in use", "8": "on hold"}


@dataclass(frozen=True)
class MemberLine:
    """One ``QueueMember`` line."""

    queue: str
    agent: str            # the member's name (the agent id), PJSIP/ stripped from an interface
    interface: str        # PJSIP/<agent id>
    device: str           # Asterisk's device state number, as text ("0" when absent)
    paused: bool
    reason: str           # PausedReason as given (Asterisk keeps the last one after a resume)
    in_call: bool
    calls_taken: int
    last_call: float      # end of the member's last call, Unix seconds of Asterisk's clock (0: none)
    wrapup_s: int         # the member's own wrap-up (0: the queue's)

    @property
    def status(self) -> str:
        """The device state in words."""
        return DEVICE_STATES.get(self.device, self.device)


@dataclass(frozen=True)
class EntryLine:
    """One ``QueueEntry`` line: a caller waiting."""

    queue: str
    linkedid: str
    wait_s: int


@dataclass(frozen=True)
class QueueLine:
    """One queue of the answer, with its members and the callers waiting in it."""

    queue: str
    waiting: int                      # QueueParams' Calls
    members: tuple[MemberLine, ...] = ()
    entries: tuple[EntryLine, ...] = ()
    listed: bool = True               # the answer had its QueueParams line (not members alone)


def number(value: object) -> float:
    """A header's number (0 when absent or not a number)."""
    try:
        return float(text_of(value) or 0)
    except ValueError:
        return 0.0


def member(event: Mapping) -> MemberLine:
    """A ``QueueMember`` line (or a QueueMember* event, which has the same headers)."""
    name = text_of(event.get("MemberName")) or text_of(event.get("Name"))
    interface = text_of(event.get("Interface")) or text_of(event.get("Location"))
    agent = name or interface
    paused = text_of(event.get("Paused")) == "1"
    return MemberLine(queue=text_of(event.get("Queue")),
                      agent=agent.split("/", 1)[-1] if agent.startswith("PJSIP/") else agent,
                      interface=interface, device=text_of(event.get("Status")) or "0", paused=paused,
                      reason=text_of(event.get("PausedReason")),
                      in_call=text_of(event.get("InCall")) == "1", calls_taken=int_of(event.get("CallsTaken")),
                      last_call=number(event.get("LastCall")), wrapup_s=int(number(event.get("Wrapuptime"))))


def parse(events: Iterable[Mapping]) -> list[QueueLine]:
    """Every queue of a QueueStatus answer, sorted by name (lines of other kinds are skipped)."""
    waiting: dict[str, int] = {}
    members: dict[str, list[MemberLine]] = {}
    entries: dict[str, list[EntryLine]] = {}
    for event in events:
        kind, queue = text_of(event.get("Event")), text_of(event.get("Queue"))
        if kind == "QueueParams":
            waiting[queue] = int_of(event.get("Calls"))
        elif kind == "QueueMember":
            members.setdefault(queue, []).append(member(event))
        elif kind == "QueueEntry":
            linkedid = text_of(event.get("Linkedid")) or text_of(event.get("Uniqueid"))
            entries.setdefault(queue, []).append(EntryLine(queue, linkedid, int_of(event.get("Wait"))))
    names = sorted(set(waiting) | set(members) | set(entries))
    return [QueueLine(q, waiting.get(q, 0), tuple(members.get(q, ())), tuple(entries.get(q, ())), q in waiting)
            for q in names]
