"""How the holiday calendar reads on a terminal: confirmed or provisional years, the warning.

The figures are the core's (:mod:`ivr.core.holiday_calendar`); "today" is the project's clock
(``IVR_CLOCK``), so a dry run on a pretend date warns as that date would.
"""
from __future__ import annotations

from datetime import date

import click

from ivr.clock import now
from ivr.core.holiday_calendar import (Calendar, library_differences, missing_statutory, runs,
                                       warning)
from ivr.core.rules import Rules
from ivr.settings import Settings


def today(rules: Rules, settings: Settings | None = None) -> date:
    """The centre's date now, by the project's clock."""
    settings = settings or Settings.from_env()
    tz = rules.centre.timezone
    return now(settings.clock, tz).date()


def library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"holidays {version('holidays')}"
    except PackageNotFoundError:
        return "the holidays library"


def year_words(calendar: Calendar, year: int) -> str:
    """A year's standing in words: confirmed by the rules, or provisional (and how much is known)."""
    if year in calendar.confirmed_years:
        return "confirmed (the rules' holidays and workdays)"
    if calendar.statutory is None:
        return "PROVISIONAL: no confirmed list and no statutory calendar"
    law = calendar.statutory(year)
    notice = ("with the make-up working days of the State Council's notice the library carries"
              if law.notice_known else "the State Council's notice is not known yet: no make-up working days")
    return f"PROVISIONAL: statutory holidays computed by {library_version()}; {notice}"


def warnings(rules: Rules, day: date) -> list[str]:
    """The calendar warning due on ``day``: a year without a confirmed list is near (or here)."""
    due = warning(rules.calendar, day)
    return [due.text()] if due is not None else []


def notices(rules: Rules, day: date) -> list[str]:
    """Statutory days a confirmed year (this one or later) leaves open: most likely a day left out
    when its notice was entered; the list is used as it is."""
    out = []
    for year in sorted(y for y in rules.calendar.confirmed_years if y >= day.year):
        missed = missing_statutory(rules.calendar, year)
        if missed:
            days = ", ".join(f"{d.isoformat()} ({name})" for d, name in missed.items())
            out.append(f"the confirmed holidays of {year} leave out statutory holiday(s) every notice gives "
                       f"off: {days}; the list is used as it is: check it against the notice")
    return out


def echo_warnings(rules: Rules, day: date) -> None:
    """The warning and notices on stderr, with the check's problems and notices (stdout is the result)."""
    for text in warnings(rules, day):
        click.echo(f"warning: {text}", err=True)
    for text in notices(rules, day):
        click.echo(f"notice: {text}", err=True)


def echo_year(rules: Rules, year: int, compare: bool = False) -> None:
    calendar = rules.calendar
    click.echo(f"{year}  {year_words(calendar, year)}")
    for run in runs(calendar, date(year, 1, 1), date(year, 12, 31)):
        days = run.first.isoformat() + (f"..{run.last.isoformat()}" if run.last != run.first else "")
        kind = "holiday" if run.kind == "holiday" else "make-up"
        click.echo(f"  {days:<22}  {kind:<8} {run.name}{'  (provisional)' if run.provisional else ''}")
    if compare and year in calendar.confirmed_years:
        found = library_differences(calendar, year)
        click.echo(f"  against the statutory calendar of {library_version()}: "
                   + (f"{len(found)} difference(s)" if found else "no difference"))
        for what, day, name in found:
            click.echo(f"    {day.isoformat()}  {what}{f' ({name})' if name else ''}")


def calendar_record(rules: Rules, years: list[int], day: date) -> dict:
    """The calendar of ``years`` as a JSON-ready mapping."""
    calendar = rules.calendar
    due = warning(calendar, day)
    return {
        "today": day.isoformat(),
        "confirmed_years": sorted(calendar.confirmed_years),
        "years": [{"year": y, "confirmed": y in calendar.confirmed_years, "standing": year_words(calendar, y),
                   "runs": [r.to_dict() for r in runs(calendar, date(y, 1, 1), date(y, 12, 31))],
                   "differences": [{"what": w, "day": d.isoformat(), "name": n}
                                   for w, d, n in (library_differences(calendar, y)
                                                   if y in calendar.confirmed_years else [])]}
                  for y in years],
        "warning": due.to_dict() if due else None,
        "notices": notices(rules, day),
    }
