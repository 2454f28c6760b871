"""The 12345 work-order process as a pure state machine.

"Unified intake, dispatch by responsibility, resolution within a time limit, supervision,
evaluation", in the words of the county's 12345 platform. One order's life::

    received ──close──────────────────────────────────────────▶ closed   (answered on the spot)
        │
        └─dispatch(unit, category, urgent)─▶ dispatched ─sign─▶ signed ─reply─▶ replied
                                                 ▲                                 │
                                                 └──────── review(passed=False) ◀──┤
                                                                                   └─review(passed=True)─▶ archived

Beside the main line, at any state:

* ``rate`` (1..5) — the citizen's satisfaction, once per order, any time after intake;
* ``mark_overdue`` — the unit missed the sign-off (``what="sign"``) or the reply (``what="reply"``)
  deadline; set by the sweep (:func:`sweep_steps`), never by hand;
* ``escalate`` — the order goes on the supervision list (督办), after a missed deadline;
* ``redispatch`` — a supervisor sends a dispatched or signed order (overdue, or at the wrong unit)
  to a unit again, the same or another, with new deadlines;
* ``callback`` — a supervisor called back a citizen who rated 1 or 2 (回访), with a note.

A failed review or a re-dispatch dispatches the order again with new deadlines from that moment
and marks it ``supervised``.
Every step is appended to ``history`` with who and when. A step the process does not allow
raises :class:`~ivr.errors.InvalidTransition` listing the steps allowed now; bad step data
raises :class:`~ivr.errors.TicketError` naming the field. The time is always an argument.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ivr.core.deadlines import Category, Policy
from ivr.core.order_checks import (  # noqa: F401 - parse_rating and MAX_TEXT are the process's too
    MAX_TEXT, _actor, _bool, _category, _jsonable, _no_more, _policy, _text, _unit, parse_rating)
from ivr.core.text import require_aware
from ivr.errors import InvalidTransition, TicketError
MAX_TITLE = 100  # characters of an order's title (what the matter is, in one line)
MAX_PLACE = 200  # characters of the matter's place (an address, a landmark)
MAX_ARTICLE_KEY = 64  # a knowledge-base article's stable key


class Status(StrEnum):
    RECEIVED = "received"      # an agent answered; the order exists (intake)
    CLOSED = "closed"          # answered on the spot (当场解答), closed at intake
    DISPATCHED = "dispatched"  # sent to the responsible unit (承办单位)
    SIGNED = "signed"          # the unit signed for it (签收)
    REPLIED = "replied"        # the unit replied with its result (办结回复)
    ARCHIVED = "archived"      # a supervisor passed the result (归档)


class Event(StrEnum):
    CLOSE = "close"
    DISPATCH = "dispatch"
    SIGN = "sign"
    REPLY = "reply"
    REVIEW = "review"
    RATE = "rate"
    MARK_OVERDUE = "mark_overdue"
    ESCALATE = "escalate"
    REDISPATCH = "redispatch"
    CALLBACK = "callback"


OPEN_STATUSES = frozenset({Status.RECEIVED, Status.DISPATCHED, Status.SIGNED, Status.REPLIED})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.ARCHIVED})

# The main line of the process: which events move an order on from each status.
_FLOW: dict[Status, tuple[Event, ...]] = {
    Status.RECEIVED: (Event.CLOSE, Event.DISPATCH),
    Status.DISPATCHED: (Event.SIGN,),
    Status.SIGNED: (Event.REPLY,),
    Status.REPLIED: (Event.REVIEW,),
    Status.CLOSED: (),
    Status.ARCHIVED: (),
}
SCHEDULER = "scheduler"  # the actor recorded for steps taken by the sweep
CALLBACK_RATINGS = frozenset({1, 2})  # ratings a supervisor calls the citizen back about (回访)


@dataclass(frozen=True)
class Entry:
    """One line of an order's history: what happened, who did it, when, with which data."""

    event: str
    actor: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkOrder:
    """One work order (工单) as the process sees it; the store maps it to rows."""

    number: str
    created_at: datetime
    status: Status = Status.RECEIVED
    category: Category | None = None
    urgent: bool = False
    unit: str | None = None              # the responsible unit's department id
    sign_by: datetime | None = None
    due: datetime | None = None
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    replied_on_time: bool | None = None  # the last reply came before ``due``
    closed_at: datetime | None = None    # closed at intake, or archived
    overdue: bool = False                # the reply deadline passed with no reply
    sign_late: bool = False              # the sign-off deadline passed unsigned
    escalated: bool = False              # on the supervision list
    supervised: bool = False             # dispatched again after a failed review
    dispatch_count: int = 0
    rating: int | None = None
    rated_at: datetime | None = None
    history: tuple[Entry, ...] = ()
    title: str | None = None             # the matter in one line, as the agent wrote it
    description: str | None = None       # what the citizen said, as the agent wrote it
    place: str | None = None             # where the matter is (optional)
    article: str | None = None           # key of the knowledge-base article the agent used

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def new_order(number: str, created_at: datetime, actor: str, **data: Any) -> WorkOrder:
    """An order just taken in (an agent answered); its first history line is ``receive``."""
    require_aware(created_at, "created_at", TicketError)
    return WorkOrder(number=number, created_at=created_at,
                     history=(Entry("receive", _actor(actor), created_at, _jsonable(data)),))


def allowed(order: WorkOrder) -> list[str]:
    """The events the process allows now, main-line steps first."""
    events = [e.value for e in _FLOW[order.status]]
    if order.rating is None:
        events.append(Event.RATE.value)
    if order.status in (Status.DISPATCHED, Status.SIGNED):
        if not order.overdue or (order.status is Status.DISPATCHED and not order.sign_late):
            events.append(Event.MARK_OVERDUE.value)
    if order.is_open and order.status is not Status.RECEIVED and not order.escalated:
        events.append(Event.ESCALATE.value)
    if order.status in (Status.DISPATCHED, Status.SIGNED):
        events.append(Event.REDISPATCH.value)
    if order.rating in CALLBACK_RATINGS:
        events.append(Event.CALLBACK.value)
    return events


def apply(order: WorkOrder, event: Event | str, actor: str, at: datetime,
          policy: Policy | None = None, **data: Any) -> WorkOrder:
    """The order after ``event`` by ``actor`` at ``at``; raises if the process forbids it.

    ``policy`` gives the deadlines; it is needed by ``dispatch`` and by a failed ``review``.
    """
    try:
        event = Event(event)
    except ValueError:
        names = ", ".join(e.value for e in Event)
        raise TicketError(f"work order {order.number}: unknown step {event!r}; steps are: {names}") from None
    require_aware(at, "at", TicketError)
    if at < order.created_at:
        raise TicketError(f"work order {order.number}: {event} at {at.isoformat()} is before the order "
                          f"was taken in ({order.created_at.isoformat()})")
    actor = _actor(actor)
    if event is Event.RATE and order.rating is not None:
        raise InvalidTransition(order.number, f"{order.status.value} and already rated {order.rating}",
                                event.value, allowed(order))
    if event.value not in allowed(order) or not _extra_guard(order, event, data):
        raise InvalidTransition(order.number, order.status.value, event.value, allowed(order))
    changes, recorded = _STEPS[event](order, at, policy, dict(data))
    entry = Entry(event.value, actor, at, _jsonable(recorded))
    return replace(order, **changes, history=order.history + (entry,))


def sweep_steps(order: WorkOrder, now: datetime) -> list[tuple[Event, dict[str, Any]]]:
    """What the overdue sweep must do to ``order`` at ``now``: the pure half of the scheduler.

    A missed sign-off or reply deadline is marked once; a marked order is escalated once.
    """
    require_aware(now, "now", TicketError)
    steps: list[tuple[Event, dict[str, Any]]] = []
    overdue, sign_late = order.overdue, order.sign_late
    if order.status is Status.DISPATCHED and order.sign_by and now >= order.sign_by and not sign_late:
        steps.append((Event.MARK_OVERDUE, {"what": "sign"}))
        sign_late = True
    if order.status in (Status.DISPATCHED, Status.SIGNED) and order.due and now >= order.due \
            and not overdue:
        steps.append((Event.MARK_OVERDUE, {"what": "reply"}))
        overdue = True
    if (overdue or sign_late) and not order.escalated and order.status in (Status.DISPATCHED, Status.SIGNED):
        reason = "reply deadline missed" if overdue else "not signed for within the sign-off time"
        steps.append((Event.ESCALATE, {"reason": reason}))
    return steps


# --- one function per event: (order, at, policy, data) -> (field changes, data to record) ------

def _close(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    category = _category(order, data.pop("category", None), required=False)
    note = _text(order, "note", data.pop("note", None))
    matter = _matter(order, data)
    _no_more(order, Event.CLOSE, data)
    return ({"status": Status.CLOSED, "closed_at": at, "category": category, **matter},
            {"category": category, "note": note, **matter})


def _dispatch(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    unit = _unit(order, data.pop("unit", None))
    category = _category(order, data.pop("category", None), required=True)
    urgent = _bool(order, "urgent", data.pop("urgent", False))
    note = _text(order, "note", data.pop("note", None))
    matter = _matter(order, data)
    _no_more(order, Event.DISPATCH, data)
    terms = _policy(order, policy).terms(category, urgent, at)
    changes = {"status": Status.DISPATCHED, "unit": unit, "category": category, "urgent": urgent,
               "sign_by": terms.sign_by, "due": terms.due, "dispatch_count": order.dispatch_count + 1,
               **matter}
    return changes, {"unit": unit, "category": category, "urgent": urgent, "sign_by": terms.sign_by,
                     "due": terms.due, "note": note, **matter}


def _sign(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    note = _text(order, "note", data.pop("note", None))
    _no_more(order, Event.SIGN, data)
    on_time = order.sign_by is None or at < order.sign_by
    return {"status": Status.SIGNED, "signed_at": at}, {"on_time": on_time, "note": note}


def _reply(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    text = _text(order, "text", data.pop("text", None))
    _no_more(order, Event.REPLY, data)
    on_time = order.due is None or at < order.due
    return ({"status": Status.REPLIED, "replied_at": at, "replied_on_time": on_time},
            {"text": text, "on_time": on_time})


def _review(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    if "passed" not in data:
        raise TicketError(f"work order {order.number}: review needs passed=True or passed=False")
    passed = _bool(order, "passed", data.pop("passed"))
    note = _text(order, "note", data.pop("note", None))
    unit = _unit(order, data.pop("unit", None) or order.unit)
    _no_more(order, Event.REVIEW, data)
    if passed:
        return {"status": Status.ARCHIVED, "closed_at": at}, {"passed": True, "note": note}
    return _again(order, at, policy, unit, {"passed": False, "note": note})


def _redispatch(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    unit = _unit(order, data.pop("unit", None) or order.unit)
    note = _text(order, "note", data.pop("note", None))
    _no_more(order, Event.REDISPATCH, data)
    return _again(order, at, policy, unit, {"note": note})


def _again(order: WorkOrder, at: datetime, policy: Policy | None, unit: str, recorded: dict) -> tuple[dict, dict]:
    """Dispatched again to ``unit``, with new deadlines from ``at``, and supervised."""
    assert order.category is not None  # a dispatched order has a category
    terms = _policy(order, policy).terms(order.category, order.urgent, at)
    changes = {"status": Status.DISPATCHED, "unit": unit, "supervised": True, "sign_by": terms.sign_by,
               "due": terms.due, "signed_at": None, "overdue": False, "sign_late": False,
               "dispatch_count": order.dispatch_count + 1}
    return changes, {**recorded, "unit": unit, "sign_by": terms.sign_by, "due": terms.due}


def _callback(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    note = _text(order, "note", data.pop("note", None))
    reached = _bool(order, "reached", data.pop("reached", True))
    _no_more(order, Event.CALLBACK, data)
    return {}, {"reached": reached, "note": note}


def _rate(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    rating = parse_rating(data.pop("rating", None), order.number)
    source = _text(order, "source", data.pop("source", None))
    _no_more(order, Event.RATE, data)
    return {"rating": rating, "rated_at": at}, {"rating": rating, "source": source}


def _mark_overdue(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    what = data.pop("what", "reply")
    _no_more(order, Event.MARK_OVERDUE, data)
    if what == "sign":
        return {"sign_late": True}, {"what": "sign", "deadline": order.sign_by}
    return {"overdue": True}, {"what": "reply", "deadline": order.due}


def _escalate(order: WorkOrder, at: datetime, policy: Policy | None, data: dict) -> tuple[dict, dict]:
    reason = _text(order, "reason", data.pop("reason", None)) or "escalated by a supervisor"
    _no_more(order, Event.ESCALATE, data)
    return {"escalated": True}, {"reason": reason}


_STEPS = {
    Event.CLOSE: _close, Event.DISPATCH: _dispatch, Event.SIGN: _sign, Event.REPLY: _reply,
    Event.REVIEW: _review, Event.RATE: _rate, Event.MARK_OVERDUE: _mark_overdue,
    Event.ESCALATE: _escalate, Event.REDISPATCH: _redispatch, Event.CALLBACK: _callback,
}


def _extra_guard(order: WorkOrder, event: Event, data: dict) -> bool:
    """Finer rules than the table: each deadline is marked missed once, and only when it applies."""
    if event is Event.MARK_OVERDUE:
        what = data.get("what", "reply")
        if what == "sign":
            return order.status is Status.DISPATCHED and not order.sign_late
        if what == "reply":
            return not order.overdue
        raise TicketError(f"work order {order.number}: mark_overdue what={what!r}; use 'sign' or 'reply'")
    return True


# --- the matter as the agent wrote it down (close and dispatch take it at intake) ---------------

_MATTER_LIMITS = {"title": MAX_TITLE, "description": MAX_TEXT, "place": MAX_PLACE,
                  "article": MAX_ARTICLE_KEY}


def _matter(order: WorkOrder, data: dict) -> dict[str, str]:
    """The intake fields given in ``data`` (title, description, place, article), popped from it.

    Only fields given are returned, so a step without them keeps what the order had; each is
    text, stripped, and cut to its limit (the form checks the limits first and says so).
    """
    out: dict[str, str] = {}
    for name, limit in _MATTER_LIMITS.items():
        value = data.pop(name, None)
        if value is None:
            continue
        if not isinstance(value, str):
            raise TicketError(f"work order {order.number}: {name} must be text, not {type(value).__name__}")
        value = value.strip()[:limit]
        if value:
            out[name] = value
    return out
