"""Work-order deadlines: working days per category, hours for urgent matters, two hours to sign.

Typical local rules for 12345 orders (as the README's work-order section states them):

====================  ====================================================
consultation          1 working day
help_request          5 working days
suggestion            5 working days
complaint             10 working days
report                10 working days
urgent (any)          24 hours, clock time ("急事急办"), e.g. water/power/gas
sign-off by the unit  2 hours after dispatch, clock time
====================  ====================================================

How working days are counted (stated here because the report does not): the day an order is
dispatched does not count; the deadline is the end of the N-th working day after it, in the
centre's timezone, i.e. the first instant of the next calendar day. An order replied *before*
that instant is on time. Public holidays and weekends are not working days; make-up working days
(调休) are. Urgent orders and sign-off are in clock hours because the hotline runs 24 hours.

Pure: the caller passes the time and a small :class:`~ivr.core.schedule.Calendar` (built from
``rules.holidays`` and ``rules.workdays``) and the centre's timezone; nothing here reads the clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from ivr.core.schedule import Calendar
from ivr.core.text import require_aware


class Category(StrEnum):
    """What kind of matter a work order is about (the centre's usual classification)."""

    CONSULTATION = "consultation"   # 咨询
    HELP_REQUEST = "help_request"   # 求助
    SUGGESTION = "suggestion"       # 建议
    COMPLAINT = "complaint"         # 投诉
    REPORT = "report"               # 举报


WORKING_DAYS: dict[Category, int] = {
    Category.CONSULTATION: 1,
    Category.HELP_REQUEST: 5,
    Category.SUGGESTION: 5,
    Category.COMPLAINT: 10,
    Category.REPORT: 10,
}

URGENT_HOURS = 24
SIGN_HOURS = 2
URGENT_UTILITIES = frozenset({"water", "power_supply", "gas"})  # department ids in the shipped rules

# No real calendar has this many non-working days in a row; a calendar that does is broken.
_MAX_CLOSED_RUN = 60


def parse_category(text: str) -> Category:
    """The category named ``text``; ValueError listing the valid names otherwise."""
    try:
        return Category(str(text).strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(c.value for c in Category)
        raise ValueError(f"unknown category {text!r}; use one of: {names}") from None


@dataclass(frozen=True)
class Terms:
    """The two times a dispatched order is held to."""

    sign_by: datetime  # the unit must sign for the order before this
    due: datetime      # the unit must reply before this


@dataclass(frozen=True)
class Policy:
    """The deadline rules of one centre: its calendar, its timezone and the hour limits."""

    calendar: Calendar
    tz: tzinfo
    urgent_hours: int = URGENT_HOURS
    sign_hours: int = SIGN_HOURS

    def terms(self, category: Category | str, urgent: bool, dispatched_at: datetime) -> Terms:
        """Sign-off and reply deadlines for an order of ``category`` dispatched at ``dispatched_at``."""
        require_aware(dispatched_at, "deadlines: the dispatch time")
        category = parse_category(category) if not isinstance(category, Category) else category
        sign_by = dispatched_at + timedelta(hours=self.sign_hours)
        if urgent:
            due = dispatched_at + timedelta(hours=self.urgent_hours)
        else:
            due = end_of_working_days(dispatched_at, WORKING_DAYS[category], self.calendar, self.tz)
        return Terms(sign_by=sign_by, due=due)


def add_working_days(start: date, days: int, calendar: Calendar) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 1:
        raise ValueError(f"a deadline needs at least one working day, not {days}")
    day, counted, closed_run = start, 0, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted, closed_run = counted + 1, 0
        else:
            closed_run += 1
            if closed_run > _MAX_CLOSED_RUN:
                raise ValueError(f"the calendar has no working day for {_MAX_CLOSED_RUN} days after {day}")
    return day


def end_of_working_days(at: datetime, days: int, calendar: Calendar, tz: tzinfo) -> datetime:
    """The first instant after the ``days``-th working day following ``at``'s local date."""
    require_aware(at, "deadlines: the time")
    local_day = at.astimezone(tz).date()
    last = add_working_days(local_day, days, calendar)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
