"""The holiday calendar as the console shows it: the warning banner, and the years on the admin's
rules page, each confirmed or provisional (:mod:`ivr.core.holiday_calendar`).

The warning is the same one ``ivr rules check`` prints and the engine logs once a day, in the
console's words (:data:`ivr.web.labels.CALENDAR`); "today" is the console's clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ivr.core.holiday_calendar import CalendarWarning, Run, runs, warning


@dataclass(frozen=True)
class Year:
    """One year of the calendar on the admin's page."""

    year: int
    confirmed: bool
    notice_known: bool   # a provisional year whose make-up days the library knows
    runs: list[Run]


def today(console) -> date:
    return console.now().date()


def calendar_warning(console) -> CalendarWarning | None:
    """The warning due today under the rules in force, or None."""
    return warning(console.rules.calendar, today(console))


def calendar_years(console) -> list[Year]:
    """This year and the next, with their holidays and make-up working days."""
    calendar = console.rules.calendar
    this = today(console).year
    out = []
    for year in (this, this + 1):
        law = calendar.statutory(year) if calendar.statutory is not None else None
        out.append(Year(year, year in calendar.confirmed_years, bool(law and law.notice_known),
                        runs(calendar, date(year, 1, 1), date(year, 12, 31))))
    return out
