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

A caller id can be spoofed, so a request also stands for a stranger's phone: one number pressing
2 in thirty calls must not make thirty calls to it. Per number (:func:`admit`):

* **one open request**: a request while the number's earlier one still waits or rings is
  *joined* to it (recorded, never dialled: the earlier request calls back);
* **a daily ceiling** (``per_day`` requests dialled per number per day of the centre,
  IVR_CALLBACK_PER_DAY, 3 by default): past it a request is *refused*, with the reason kept on it.

What the caller hears is the same rule, asked before the request is written (the FastAGI
``callback_check``, over what the engine's board last read from the database), and the store
applies it again under a lock when the request arrives (two requests at once never both pass):

* accepted: "已为您登记回拨…请挂机" (the request is taken, hang up);
* joined: "您之前的回拨登记仍然有效…请挂机" (the earlier request stands, hang up);
* refused (the day's ceiling, or a number the plan does not permit): "…无法登记回拨…继续为您排队":
  the caller stays in the queue, at the place they had (a 12345 centre does not send away a
  citizen who is on the line); the request is recorded as refused, never dialled;
* no answer from the engine within IVR_AGI_TIMEOUT: "暂时无法登记回拨…继续为您排队", no request.

A request's life::

    waiting --(agent free: originate)--> calling --answered--> answered
       ^                                   |
       +---- not answered, tries left -----+--- no tries left ---> failed
    joined: the number's earlier request is open (recorded, never dialled: that one calls back)
    refused: the number is not one the plan permits, or asked too often today (never dialled)
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
    JOINED = "joined"        # the number's earlier request is open: that one calls back, never this
    REFUSED = "refused"      # the number is not one the dialling plan permits, or asked too often


OPEN = (CallbackStatus.WAITING, CallbackStatus.CALLING)
# the requests that ring (or rang) the number: what the daily ceiling counts
DIALLED = (*OPEN, CallbackStatus.ANSWERED, CallbackStatus.FAILED)
PER_DAY = 3     # requests dialled per number per day of the centre (IVR_CALLBACK_PER_DAY)


class Verdict(StrEnum):
    """What a caller asking for a callback is told, and what becomes of the request
    (IVR_CALLBACK_VERDICT, the request's ``heard``)."""

    ACCEPT = "accept"                # taken: hang up, you will be called back
    JOIN = "join"                    # your earlier request stands: hang up
    REFUSE_TODAY = "refuse_today"    # cannot be called back today: you stay in the queue
    REFUSE_NUMBER = "refuse_number"  # this number cannot be called back: you stay in the queue


REFUSALS = (Verdict.REFUSE_TODAY, Verdict.REFUSE_NUMBER)


@dataclass(frozen=True)
class NumberHistory:
    """One number's requests as the rule needs them: its open request (the oldest, if any) and
    how many of its requests were dialled since the centre's day began."""

    open_request: int | None = None
    dialled_today: int = 0


@dataclass(frozen=True)
class Admission:
    """The rule's answer for one request: the verdict, the request's status, the request it is
    joined to, and the reason a refusal is kept with."""

    verdict: Verdict
    status: CallbackStatus
    joined_to: int | None = None
    reason: str = ""


def admit(number: str | None, history: NumberHistory, per_day: int, heard: str = "") -> Admission:
    """The rule for one request from ``number`` (None: the plan does not permit it).

    ``heard``: what the caller was told before the request was written (a :class:`Verdict`, ""
    when not checked). A caller told they were refused stays in the queue, so the request is
    refused whatever the rule says now; one told it was taken is held to the rule (the board they
    were checked against may be a second old): joined if the number has an open request now."""
    if number is None:
        return Admission(Verdict.REFUSE_NUMBER, CallbackStatus.REFUSED,
                         reason="not a number the dialling plan permits")
    if heard in (v.value for v in REFUSALS):
        return Admission(Verdict(heard), CallbackStatus.REFUSED, reason=_REASONS[Verdict(heard)].format(per_day))
    if history.open_request is not None:
        return Admission(Verdict.JOIN, CallbackStatus.JOINED, history.open_request,
                         f"joined to request #{history.open_request}, which is still open")
    if history.dialled_today >= per_day:
        return Admission(Verdict.REFUSE_TODAY, CallbackStatus.REFUSED,
                         reason=_REASONS[Verdict.REFUSE_TODAY].format(per_day))
    return Admission(Verdict.ACCEPT, CallbackStatus.WAITING)


_REASONS = {Verdict.REFUSE_TODAY: "asked too often: the number's {} callback(s) for today are taken",
            Verdict.REFUSE_NUMBER: "not a number the dialling plan permits"}


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
