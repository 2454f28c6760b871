"""The centre's holiday calendar: the rules' confirmed years, the law's for the others.

``routing_rules.yaml``'s ``holidays`` and ``workdays`` are the centre's **confirmed** calendar,
entered from the State Council's yearly notice. A year is **confirmed** when ``holidays`` lists
at least one day in it: entering next year's notice (its holidays and make-up working days) is
the whole of the change, and from then on that year's list is the calendar, even where it
differs from the law's computation. A year with no day in ``holidays`` is **provisional**: its
closed days are the statutory holidays computed for it (:mod:`ivr.core.statutory`), with the
make-up working days the library knows; the rules' own ``workdays`` still count in such a year.
So the calendar never runs out, and whatever shows a provisional day says so.

Warning: from :data:`WARN_DAYS` days before the first day of a year that is not confirmed,
:func:`warning` has something to say (``ivr rules check``, the engine's daily log, the admin's
page, the wallboard); :func:`days_left` is the figure on ``/metrics``. Pure: the day is passed in.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from ivr.core.statutory import StatutoryYear, statutory_year

WARN_DAYS = 60   # days before a year without a confirmed list that the warning starts


@dataclass(frozen=True)
class DayStatus:
    """What the calendar says of one day."""

    day: date
    working: bool               # a working day (for deadlines; the departments' weekdays open)
    holiday: str | None = None  # the holiday's name, when a public holiday
    workday: bool = False       # a make-up working day (调休) on a weekend
    provisional: bool = False   # the year is not confirmed: computed from the law

    def to_dict(self) -> dict:
        return {"day": self.day.isoformat(), "working": self.working, "holiday": self.holiday,
                "workday": self.workday, "provisional": self.provisional,
                "source": "statutory" if self.provisional else "confirmed"}


@dataclass(frozen=True)
class Calendar:
    """Public holidays (closed on a weekday) and make-up working days (open on a weekend).

    ``holidays`` and ``workdays`` are the confirmed lists; ``statutory`` gives the law's calendar
    of a year they do not confirm (None: no fallback, an empty year has no holidays)."""

    holidays: dict[date, str] = field(default_factory=dict)
    workdays: frozenset[date] = frozenset()
    statutory: Callable[[int], StatutoryYear] | None = statutory_year

    @cached_property
    def confirmed_years(self) -> frozenset[int]:
        """The years ``holidays`` lists at least one day of."""
        return frozenset(day.year for day in self.holidays)

    def provisional(self, day: date) -> bool:
        """Whether ``day``'s year is computed from the law rather than confirmed by the rules."""
        return self.statutory is not None and day.year not in self.confirmed_years

    def _law(self, year: int) -> StatutoryYear | None:
        if self.statutory is None or year in self.confirmed_years:
            return None
        return self.statutory(year)

    def holiday(self, day: date) -> str | None:
        """The holiday's name when ``day`` is one, else None."""
        law = self._law(day.year)
        if law is None:
            return self.holidays.get(day)
        return None if day in self.workdays else law.holidays.get(day)

    def is_workday(self, day: date) -> bool:
        """A make-up working day (the rules', or in a provisional year the library's)."""
        if day in self.workdays:
            return True
        law = self._law(day.year)
        return law is not None and day in law.workdays

    def is_working_day(self, day: date) -> bool:
        """A working day: Monday to Friday unless a holiday, or a make-up working day."""
        if self.is_workday(day):
            return True
        if self.holiday(day) is not None:
            return False
        return day.weekday() < 5

    def status(self, day: date) -> DayStatus:
        return DayStatus(day, self.is_working_day(day), self.holiday(day), self.is_workday(day),
                         self.provisional(day))

    def between(self, first: date, last: date) -> list[DayStatus]:
        """The holidays and make-up working days from ``first`` to ``last``, in date order."""
        out, day = [], first
        while day <= last:
            status = self.status(day)
            if status.holiday is not None or status.workday:
                out.append(status)
            day += timedelta(days=1)
        return out

    def warm(self, *years: int) -> None:
        """Compute the law's calendar of ``years`` now (the first call imports the library), so
        a call routed on a provisional day does not wait for it."""
        for year in years:
            self._law(year)


@dataclass(frozen=True)
class Run:
    """Consecutive days of one holiday, or one make-up working day, as an admin reads them."""

    first: date
    last: date
    kind: str          # "holiday" or "workday"
    name: str          # the holiday's name; "make-up working day"
    provisional: bool

    def to_dict(self) -> dict:
        return {"first": self.first.isoformat(), "last": self.last.isoformat(), "kind": self.kind,
                "name": self.name, "provisional": self.provisional}


def runs(calendar: Calendar, first: date, last: date) -> list[Run]:
    """The calendar's holidays and make-up working days from ``first`` to ``last`` as runs of
    consecutive days with the same name and standing, in date order."""
    out: list[Run] = []
    for status in calendar.between(first, last):
        kind, name = ("holiday", status.holiday) if status.holiday is not None else ("workday", "make-up working day")
        previous = out[-1] if out else None
        if (previous is not None and previous.last + timedelta(days=1) == status.day
                and (previous.kind, previous.name, previous.provisional) == (kind, name, status.provisional)):
            out[-1] = Run(previous.first, status.day, kind, name, status.provisional)
        else:
            out.append(Run(status.day, status.day, kind, name, status.provisional))
    return out


def days_left(calendar: Calendar, today: date) -> int:
    """Days of confirmed calendar left from ``today`` (counted) to the first day of the first year
    without a confirmed list; 0 when this year itself is not confirmed."""
    year = today.year
    while year in calendar.confirmed_years:
        year += 1
    return (date(year, 1, 1) - today).days if year > today.year else 0


@dataclass(frozen=True)
class CalendarWarning:
    """A year without a confirmed list is near (or here)."""

    year: int
    days_left: int   # 0: ``year`` is this year

    def text(self) -> str:
        """The warning in words (English, for the command line and the log)."""
        when = (f"today, {self.year}" if self.days_left == 0 else
                f"from {self.year}-01-01, in {self.days_left} day(s),")
        return (f"no confirmed holiday calendar for {self.year}: {when} parallel lines and work-order "
                f"deadlines follow the statutory holidays computed for {self.year} (provisional). Enter "
                f"the State Council's {self.year} holiday notice in routing_rules.yaml (holidays and "
                "workdays of that year), then check and apply it")

    def to_dict(self) -> dict:
        return {"year": self.year, "days_left": self.days_left, "text": self.text()}


def warning(calendar: Calendar, today: date, within: int = WARN_DAYS) -> CalendarWarning | None:
    """The warning due on ``today``: from ``within`` days before a year that is not confirmed."""
    left = days_left(calendar, today)
    if left > within:
        return None
    return CalendarWarning(today.year if left == 0 else (today + timedelta(days=left)).year, left)


def missing_statutory(calendar: Calendar, year: int) -> dict[date, str]:
    """The law's own holiday days of a confirmed ``year`` that its list leaves open: a notice
    always gives them off, so one missing is most likely a day left out when it was entered."""
    if calendar.statutory is None or year not in calendar.confirmed_years:
        return {}
    law = calendar.statutory(year)
    return {day: name for day, name in sorted(law.statutory_days.items()) if day not in calendar.holidays}


def library_differences(calendar: Calendar, year: int) -> list[tuple[str, date, str]]:
    """How the confirmed list of ``year`` differs from the law's computation (the library's,
    with its make-up days): ("holiday only in the rules" | "holiday only in the library" |
    "make-up day only in the rules" | "make-up day only in the library", day, name)."""
    if calendar.statutory is None:
        return []
    law = calendar.statutory(year)
    ours = {d: n for d, n in calendar.holidays.items() if d.year == year}
    our_workdays = {d for d in calendar.workdays if d.year == year}
    out = [("holiday only in the rules", d, n) for d, n in ours.items() if d not in law.holidays]
    out += [("holiday only in the library", d, n) for d, n in law.holidays.items() if d not in ours]
    out += [("make-up day only in the rules", d, "") for d in our_workdays - law.workdays]
    out += [("make-up day only in the library", d, "") for d in law.workdays - our_workdays]
    return sorted(out, key=lambda item: (item[1], item[0]))
