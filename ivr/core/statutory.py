"""The law's holiday calendar for any year, from the Open World Holidays Framework (``holidays``).

China's statutory public holidays (元旦, 春节 from New Year's Eve, 清明, 劳动节, 端午, 中秋, 国庆)
follow from the law and the lunar calendar, so they are known for every year; the days the
State Council moves around them (make-up working days, 调休) are only known once its yearly notice
is out. The ``holidays`` library computes the first for any year from 1950 to 2100 and carries the
second for the years whose notice it has (the library's own ``weekend_workdays``); its observed
rule moves a statutory day falling on a weekend to the next working day, as the notices do.

What this module makes of it is what a department's door does: a **closed day** is a rest day of
the library (a statutory day, its observed day, or a day off the notice gives in exchange for a
make-up day), together with the weekend days joined to it, as a notice writes a holiday ("4月4日
至6日放假"); a weekend day that is a make-up working day is not joined. Each run of closed days
is named after the festivals in it ("Spring Festival 2027", "Mid-Autumn and National Day 2020").

Pure computation (the library reads nothing but its own package, like :mod:`zoneinfo`), cached
per year; imported lazily, since most routing never needs it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

# The library's English names -> the names the rules file uses (routing_rules.yaml), in the
# law's order; a name not here (a one-off holiday of some year) is kept as the library gives it.
FESTIVALS = {
    "New Year's Day": "New Year's Day",
    "Chinese New Year's Eve": "Spring Festival",
    "Chinese New Year (Spring Festival)": "Spring Festival",
    "Chinese New Year Extended Holiday": "Spring Festival",
    "Tomb-Sweeping Day": "Qingming",
    "Labor Day": "Labour Day",
    "Dragon Boat Festival": "Dragon Boat Festival",
    "Mid-Autumn Festival": "Mid-Autumn",
    "National Day": "National Day",
}
_ORDER = list(dict.fromkeys(FESTIVALS.values()))
_LAW = set(FESTIVALS) - {"Chinese New Year Extended Holiday"}  # the law's days, not a year's extras
_SUFFIXES = (" (observed, estimated)", " (observed)", " (estimated)")
FIRST_YEAR, LAST_YEAR = 1950, 2100   # the years the library's China calendar covers


@dataclass(frozen=True)
class StatutoryYear:
    """One year of the law's calendar, as the library computes it."""

    year: int
    holidays: dict[date, str]     # closed days (see the module), named by their run
    workdays: frozenset[date]     # make-up working days the library knows (its notices)
    statutory_days: dict[date, str]  # the law's own holiday days, before any moving (元旦 = Jan 1, ...)

    @property
    def notice_known(self) -> bool:
        """Whether the library carries the State Council's notice for this year (its make-up days)."""
        return bool(self.workdays)


def statutory_year(year: int) -> StatutoryYear:
    """The law's calendar for ``year`` (empty outside the library's years)."""
    return _computed(int(year))


@lru_cache(maxsize=64)
def _computed(year: int) -> StatutoryYear:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return StatutoryYear(year, {}, frozenset(), {})
    from holidays.countries.china import China

    library = China(years=year, language="en_US", categories="public")
    rest = {day: library.get_list(day) for day in library if day.year == year}
    workdays = frozenset(d for d in library.weekend_workdays if d.year == year)
    closed = set(rest)
    for day in list(rest):
        for step in (timedelta(days=1), timedelta(days=-1)):
            joined = day + step
            while (joined.year == year and joined.weekday() >= 5 and joined not in workdays
                   and joined not in rest):
                closed.add(joined)
                joined += step
    statutory = {d: _festival(law[0]) for d, names in rest.items() if (law := [n for n in names if n in _LAW])}
    holidays: dict[date, str] = {}
    for run in _runs(sorted(closed)):
        festivals = {_festival(n) for day in run for n in rest.get(day, ()) if not n.startswith("Day off")}
        named = sorted(festivals, key=lambda f: (_ORDER.index(f) if f in _ORDER else len(_ORDER), f))
        name = f"{' and '.join(named) or 'Day off'} {year}"
        holidays.update(dict.fromkeys(run, name))
    return StatutoryYear(year, holidays, workdays, statutory)


def _festival(name: str) -> str:
    for suffix in _SUFFIXES:
        name = name.removesuffix(suffix)
    return FESTIVALS.get(name, name)


def _runs(days: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][-1] + timedelta(days=1) == day:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs
