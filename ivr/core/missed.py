"""Missed calls called back (漏接回拨): the State Council's 2025 guidance (国办函〔2025〕66号) asks a
12345 centre to call back the callers it missed. Pure: the store and the worker pass in the times.

* **missed**: a caller who left a queue without an agent, after waiting at least
  :attr:`MissedPolicy.after_s` seconds there (IVR_MISSED_AFTER): a caller who hung up at once
  dialled by mistake or found the answer elsewhere. The call becomes a callback request of its
  own kind, ``via`` = :data:`VIA`, which the callback worker dials like the requests callers
  asked for (:mod:`ivr.core.callbacks`), with three differences:
* **once per number per window**: a number missed again within :attr:`MissedPolicy.window_h`
  hours of its last missed request (IVR_MISSED_WINDOW) is *joined* to it (recorded, not dialled),
  and the per-number rule (:func:`ivr.core.callbacks.admit`: one open request, the day's ceiling,
  numbers the dialling plan refuses) holds as for any request;
* **only at the centre's hours** (IVR_MISSED_HOURS, "08:00-20:00" by default): a citizen is not
  rung at night for a call they did not ask to be returned; a request missed at night waits for
  the morning;
* **after the callers who asked**: an agent free for a callback takes the requests callers asked
  for first (:func:`dial_order`).

A caller who rings again and is answered closes their open missed request as answered (no try:
"rang again"); one who asks for a callback in a later call is joined to it by the per-number
rule, so one callback answers both. The report counts missed calls, those called back within
1 hour and within 24 hours, those who rang again and were answered, those not reached (every try
failed), and those closed with a reason (joined, refused) (:func:`missed_figures`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta

from ivr.core import callbacks as cb

VIA = "missed"
RANG_AGAIN = "rang again and was answered"
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class MissedPolicy:
    """When a missed call is called back (settings IVR_MISSED_AFTER, IVR_MISSED_WINDOW, IVR_MISSED_HOURS)."""

    after_s: int = 20                        # seconds waited in a queue before a hang-up is a missed call
    window_h: float = 24.0                   # one missed callback per number within this many hours
    hours: tuple[int, int] = (8 * 60, 20 * 60)   # minutes of the centre's day: [start, end)


def parse_hours(text: str) -> tuple[int, int]:
    """"08:00-20:00" as minutes of the day (ValueError naming the expected form otherwise)."""
    found = _HOURS.fullmatch(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not hours like 08:00-20:00")
    start = int(found[1]) * 60 + int(found[2])
    end = int(found[3]) * 60 + int(found[4])
    if end > 24 * 60 or end <= start:
        raise ValueError(f"{text!r}: the end must come after the start, within one day")
    return start, end


def is_missed(wait_seconds: int | None, policy: MissedPolicy) -> bool:
    """Whether a caller who left a queue after ``wait_seconds`` there is a missed call."""
    return wait_seconds is not None and wait_seconds >= policy.after_s


def within_hours(local: datetime, policy: MissedPolicy) -> bool:
    """Whether ``local`` (the centre's time) is inside the hours missed calls are called back."""
    minute = local.hour * 60 + local.minute
    return policy.hours[0] <= minute < policy.hours[1]


def next_in_hours(local: datetime, policy: MissedPolicy) -> datetime:
    """The first moment at or after ``local`` inside the hours (the same zone)."""
    if within_hours(local, policy):
        return local
    start = time(policy.hours[0] // 60, policy.hours[0] % 60)
    day = local.date() if local.hour * 60 + local.minute < policy.hours[0] else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=local.tzinfo)


def admit_missed(number: str | None, history: cb.NumberHistory, per_day: int,
                 earlier_missed: int | None) -> cb.Admission:
    """The rule for a missed call from ``number`` (None: the dialling plan refuses it);
    ``earlier_missed``: the number's missed request within the window, if any."""
    if number is not None and earlier_missed is not None:
        return cb.Admission(cb.Verdict.JOIN, cb.CallbackStatus.JOINED, earlier_missed,
                            f"missed again: request #{earlier_missed} calls this number back once in the window")
    return cb.admit(number, history, per_day)


def dial_order(due: Iterable, via_of=lambda request: request.via) -> list:
    """``due`` (oldest first) with the requests callers asked for before the missed calls."""
    return sorted(due, key=lambda request: via_of(request) == VIA)


@dataclass(frozen=True)
class MissedFigures:
    """What became of the missed calls of a period."""

    missed: int = 0
    called_back_1h: int = 0      # answered by the centre's callback within 1 hour of the missed call
    called_back_24h: int = 0     # ... within 24 hours (those within 1 hour included)
    called_back: int = 0         # answered by the centre's callback, whenever
    rang_again: int = 0          # the caller rang again and was answered first
    not_reached: int = 0         # every try failed
    closed_with_reason: int = 0  # joined to the number's earlier request, or refused by the rule
    waiting: int = 0             # still to be called back

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def missed_figures(requests: Iterable[tuple[str, datetime, datetime | None, int]]) -> MissedFigures:
    """Figures from the missed requests as (status, requested_at, closed_at, tries)."""
    counts = dict.fromkeys(MissedFigures.__dataclass_fields__, 0)
    for status, requested_at, closed_at, tries in requests:
        counts["missed"] += 1
        if status == cb.CallbackStatus.ANSWERED.value and tries == 0:
            counts["rang_again"] += 1
        elif status == cb.CallbackStatus.ANSWERED.value:
            took = (closed_at - requested_at) if closed_at is not None else timedelta.max
            counts["called_back"] += 1
            counts["called_back_1h"] += took <= timedelta(hours=1)
            counts["called_back_24h"] += took <= timedelta(hours=24)
        elif status == cb.CallbackStatus.FAILED.value:
            counts["not_reached"] += 1
        elif status in (cb.CallbackStatus.JOINED.value, cb.CallbackStatus.REFUSED.value):
            counts["closed_with_reason"] += 1
        else:
            counts["waiting"] += 1
    return MissedFigures(**counts)
