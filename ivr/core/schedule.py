"""Opening hours, as pure values (the holiday calendar is :mod:`ivr.core.holiday_calendar`).

``Schedule.is_open(local_time, calendar)`` answers "is the department's own line staffed now?".
The caller converts the time to the centre's timezone; nothing here reads the clock.
"""
from __future__ import annotations

from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime, time

from ivr.core.holiday_calendar import Calendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
__all__ = ["WEEKDAYS", "Calendar", "Schedule", "parse_hours"]


@dataclass(frozen=True)
class Schedule:
    """Weekly opening hours: open on ``weekdays`` (0 = Monday) during any of ``hours``."""

    id: str
    weekdays: frozenset[int]
    hours: tuple[tuple[time, time], ...]

    def is_open(self, local: datetime, calendar: Calendar) -> bool:
        """Open at ``local`` (a time in the centre's zone)? Holidays close; make-up days open
        with the Monday-to-Friday hours of this schedule."""
        day = local.date()
        if calendar.holiday(day) is not None:
            return False
        if day.weekday() not in self.weekdays and not calendar.is_workday(day):
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.hours)


    def segment(self, moment: time) -> int:
        """Which stretch of the day between two of the schedule's opening or closing times
        ``moment`` falls in: within one stretch, ``is_open`` gives one answer all day long."""
        return sum(1 for edge in _edges(self.hours) if edge <= moment)


@lru_cache(maxsize=256)
def _edges(hours: tuple[tuple[time, time], ...]) -> tuple[time, ...]:
    return tuple(sorted({edge for span in hours for edge in span}))


def parse_hours(text: str) -> tuple[time, time]:
    """Parse ``"08:30-12:00"``; raise ValueError with a plain reason otherwise."""
    try:
        start_s, end_s = (part.strip() for part in text.split("-"))
        start = time.fromisoformat(start_s)
        end = time.fromisoformat(end_s) if end_s != "24:00" else time.max
    except ValueError:
        raise ValueError(f"{text!r} is not a time range like \"08:30-12:00\"") from None
    if len(start_s) != 5 or (len(end_s) != 5):
        raise ValueError(f"{text!r} is not a time range like \"08:30-12:00\" (HH:MM-HH:MM)")
    if not start < end:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end
