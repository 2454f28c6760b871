"""Callbacks (回拨): which numbers may be called back, and what happens after each try. Pure.

A caller waiting in a queue presses a key and hangs up; the engine calls the number back through
the carrier trunk when an agent of that queue is free. The number comes from outside (the
carrier's caller id, or anything a caller makes it say): it is hostile input. Like the
departments' trunk, which dials only the departments' own lines the rules name (toll fraud,
:mod:`ivr.core.agent_phone`), the carrier trunk calls back only what the dialling plan permits:
a mainland mobile number or a fixed line of the centre's own area. Never an international,
premium, short or emergency number, whatever the caller id says. The plan is data
(:func:`dialling_plan`): the engine checks a number against it here, and the dialplan checks it
again on the way out (rendered as patterns into ``[ivr-callback-plan]``), so a number the engine
never meant to dial does not ring either.

A request's life::

    waiting --(agent free: originate)--> calling --answered--> answered
       ^                                   |
       +---- not answered, tries left -----+--- no tries left ---> failed
    refused: the number is not one the plan permits (recorded, never dialled)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ivr.core.numbers import normalize_number



@dataclass(frozen=True)
class NumberForm:
    """One shape of number the dialling plan permits: ``prefix``, one digit of ``first``, then
    ``rest`` more digits."""

    prefix: str
    first: str
    rest: int
    what: str

    def matches(self, number: str) -> bool:
        return (len(number) == len(self.prefix) + 1 + self.rest and number.startswith(self.prefix)
                and number[len(self.prefix)] in self.first and number.isdigit())

    @property
    def pattern(self) -> str:
        """The same shape as an Asterisk extension pattern (``_1[3456789]XXXXXXXXX``)."""
        return f"_{self.prefix}[{self.first}]{'X' * self.rest}"


def dialling_plan(area_code: str) -> tuple[NumberForm, ...]:
    """The numbers a callback may dial: a mainland mobile, or a fixed line of the centre's area.

    >>> [f.pattern for f in dialling_plan("0513")]
    ['_1[3456789]XXXXXXXXX', '_0513[2345678]XXXXXXX']
    """
    if not area_code.isdigit():
        raise ValueError(f"area code {area_code!r} is not digits")
    return (NumberForm("1", "3456789", 9, "mainland mobile"),
            NumberForm(area_code, "2345678", 7, f"fixed line of the area {area_code}"))


class CallbackStatus(StrEnum):
    WAITING = "waiting"      # durable, waiting for a free agent of its queue (or its next try)
    CALLING = "calling"      # a try is ringing the citizen now
    ANSWERED = "answered"    # the citizen answered and was put at the front of the queue
    FAILED = "failed"        # not answered after every try
    REFUSED = "refused"      # the number is not one the dialling plan permits: never dialled


OPEN = (CallbackStatus.WAITING, CallbackStatus.CALLING)


@dataclass(frozen=True)
class CallbackPolicy:
    """How hard the centre tries (settings: IVR_CALLBACK_TRIES, IVR_CALLBACK_RETRY_AFTER)."""

    tries: int = 3               # tries in all before the request is closed as failed
    retry_after_s: int = 120     # seconds between a try not answered and the next
    ring_s: int = 30             # seconds the citizen's phone rings on each try


def callback_number(raw: str, area_code: str) -> str | None:
    """The number to dial for a caller id ``raw``, or None when the plan does not permit it.

    >>> callback_number("+86 139 0000 0001", "0513")
    '13900000001'
    >>> callback_number("80000101", "0513")
    '051380000101'
    >>> callback_number("0010 1234 5678", "0513") is None   # international
    True
    >>> callback_number("110", "0513") is None               # emergency / short number
    True
    """
    number = normalize_number(raw or "", area_code)
    plan = dialling_plan(area_code)
    if number.startswith("01") and plan[0].matches(number[1:]):  # "+86 139...": the trunk 0 added
        number = number[1:]
    return number if any(form.matches(number) for form in plan) else None


@dataclass(frozen=True)
class AfterTry:
    """What a request becomes after one try: its status and, when waiting again, from when."""

    status: CallbackStatus
    next_try_at: datetime | None


def after_try(answered: bool, tries_made: int, policy: CallbackPolicy, now: datetime) -> AfterTry:
    """The request's state once its ``tries_made``-th try ended (answered or not) at ``now``."""
    if answered:
        return AfterTry(CallbackStatus.ANSWERED, None)
    if tries_made >= policy.tries:
        return AfterTry(CallbackStatus.FAILED, None)
    return AfterTry(CallbackStatus.WAITING, now + timedelta(seconds=policy.retry_after_s))


NOT_IN_USE = "1"   # AMI QueueMember Status: AST_DEVICE_NOT_INUSE


@dataclass(frozen=True)
class Member:
    """A queue member as QueueStatus reports it: device state, paused, and the end of its last
    call (Unix seconds, Asterisk's clock; 0 = none yet) with its own wrap-up (0 = the queue's)."""

    status: str
    paused: bool
    last_call: float = 0.0
    wrapup_s: int = 0


def free_for_callback(members: list[Member], waiting: int, queue_wrapup_s: int, now_s: float) -> int:
    """Members who could take a callback now: device not in use, not paused, past their wrap-up
    (app_queue offers no call to a member in wrap-up, though the device is idle), less the
    callers already waiting in the queue (those holding on come first: a callback only fills
    room nobody on the line needs, then joins at the front).

    >>> free_for_callback([Member("1", False), Member("1", False, last_call=100.0)], 0, 5, 103.0)
    1
    >>> free_for_callback([Member("1", False), Member("2", False), Member("1", True)], 1, 5, 103.0)
    0
    """
    ready = sum(1 for m in members if m.status == NOT_IN_USE and not m.paused
                and now_s - m.last_call >= (m.wrapup_s or queue_wrapup_s))
    return max(0, ready - waiting)


def to_dial(due: list[tuple[int, tuple[str, ...]]], free_agents: dict[str, int],
            ringing: dict[str, int]) -> list[tuple[int, str]]:
    """Which waiting requests to call now, and into which queue: ``due`` is (id, queues) oldest
    first, the queues in order of preference (the caller's queue, then its overflow: the agents
    who would have taken the call had the caller held on); a queue takes as many callbacks as it
    has free agents not already waiting for a callback that rings."""
    room = {q: max(0, free_agents.get(q, 0) - ringing.get(q, 0)) for q in free_agents}
    out: list[tuple[int, str]] = []
    for request_id, queues in due:
        queue = next((q for q in queues if room.get(q, 0) > 0), None)
        if queue is not None:
            room[queue] -= 1
            out.append((request_id, queue))
    return out
