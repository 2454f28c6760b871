"""The generated year has a hotline's shape: every state and outcome, the daily peaks, weekdays
above weekends, busy seasons and surge days; exact counts; the same rows for the same seed."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from ivr.bench import yeardata
from ivr.core.workflow import Status

CALLS = 60_000


@pytest.fixture(scope="module")
def year() -> list[yeardata.Day]:
    return list(yeardata.generate(CALLS, seed=7))


def local_hour(utc: datetime) -> int:
    return (utc.hour + 8) % 24  # Asia/Shanghai has no summer time


def column(rows: list[tuple], columns: tuple[str, ...], name: str) -> list:
    i = columns.index(name)
    return [row[i] for row in rows]


def test_the_year_has_exactly_the_calls_asked_for_with_ids_from_one(year):
    calls = [c for d in year for c in d.calls]
    tickets = [t for d in year for t in d.tickets]
    ratings = [r for d in year for r in d.ratings]
    assert len(calls) == CALLS and len(year) == 365
    assert column(calls, yeardata.CALL_COLUMNS, "id") == list(range(1, CALLS + 1))
    assert column(tickets, yeardata.TICKET_COLUMNS, "id") == list(range(1, len(tickets) + 1))
    assert len(tickets) == column(calls, yeardata.CALL_COLUMNS, "outcome").count("answered")
    assert {len(t) for t in tickets} == {len(yeardata.TICKET_COLUMNS)}
    assert len(set(column(tickets, yeardata.TICKET_COLUMNS, "number"))) == len(tickets)
    rated = [t for t in tickets if t[yeardata.TICKET_COLUMNS.index("rating")] is not None]
    assert len(ratings) == len(rated)


@pytest.mark.parametrize("status", list(Status))
def test_every_state_of_the_process_is_present(year, status):
    statuses = Counter(t[yeardata.TICKET_COLUMNS.index("status")] for d in year for t in d.tickets)
    assert statuses[status.value] > 0


@pytest.mark.parametrize("outcome", ["answered", "abandoned", "offered"])
def test_every_call_outcome_is_present(year, outcome):
    assert any(c[yeardata.CALL_COLUMNS.index("outcome")] == outcome for d in year for c in d.calls)


@pytest.mark.parametrize(("busier", "quieter"), [(10, 12), (15, 12), (10, 7), (15, 19), (12, 3), (9, 23)])
def test_the_morning_and_afternoon_peaks(year, busier, quieter):
    hours = Counter(local_hour(c[3]) for d in year for c in d.calls)
    assert hours[busier] > hours[quieter]


@pytest.mark.parametrize(("busier", "quieter"), [
    (lambda d: d.weekday() < 5, lambda d: d.weekday() >= 5),                 # weekdays above weekends
    (lambda d: d.month in (7, 8), lambda d: d.month in (3, 4)),              # summer above spring
    (lambda d: d.month in (1, 12), lambda d: d.month in (10, 11)),           # winter above autumn
])
def test_weekdays_and_seasons(year, busier, quieter):
    def per_day(which) -> float:
        days = [d for d in year if which(d.day) and d.day not in yeardata.SURGE_DAYS]
        return sum(len(d.calls) for d in days) / len(days)
    assert per_day(busier) > 1.1 * per_day(quieter)


@pytest.mark.parametrize("surge", sorted(yeardata.SURGE_DAYS))
def test_a_surge_day_is_busier_than_the_same_weekday_around_it_and_loses_more_callers(year, surge):
    by_day = {d.day: d for d in year}
    around = [by_day[surge + timedelta(days=k)] for k in (-7, 7) if surge + timedelta(days=k) in by_day]

    def abandoned(d: yeardata.Day) -> float:
        return column(d.calls, yeardata.CALL_COLUMNS, "outcome").count("abandoned") / len(d.calls)
    assert all(len(by_day[surge].calls) > 1.5 * len(d.calls) for d in around)
    assert all(abandoned(by_day[surge]) > abandoned(d) for d in around)


def test_late_orders_are_more_often_still_open(year):
    def open_share(days: list[yeardata.Day]) -> float:
        dispatched = [t for d in days for t in d.tickets if t[yeardata.TICKET_COLUMNS.index("dispatch_count")]]
        still_open = [t for t in dispatched if t[yeardata.TICKET_COLUMNS.index("status")] != "archived"]
        return len(still_open) / len(dispatched)
    assert open_share([d for d in year if d.day >= date(yeardata.YEAR, 12, 20)]) > \
        3 * open_share([d for d in year if d.day.month == 3])


def test_the_same_seed_gives_the_same_rows_and_another_seed_others():
    first = [(d.calls, d.tickets, d.ratings) for d in yeardata.generate(3_000, seed=1)]
    assert first == [(d.calls, d.tickets, d.ratings) for d in yeardata.generate(3_000, seed=1)]
    assert first != [(d.calls, d.tickets, d.ratings) for d in yeardata.generate(3_000, seed=2)]


@pytest.mark.parametrize(("total", "weights", "expected"), [
    (10, (1, 1), [5, 5]),
    (10, (1, 1, 1), [4, 3, 3]),
    (7, (0, 1), [0, 7]),
    (0, (2, 3), [0, 0]),
    (100, (1, 2, 7), [10, 20, 70]),
])
def test_spread_splits_a_total_exactly(total, weights, expected):
    assert yeardata.spread(total, weights) == expected


def test_300_lines_of_every_department_and_100_units():
    lines = yeardata.lines()
    assert len(lines) == yeardata.LINES == 300 and len({x.number for x in lines}) == 300
    assert {x.department for x in lines} == set(yeardata.DEPARTMENTS)
    assert sum(x.weight for x in lines) == pytest.approx(1.0)
    assert sum(len(u) for u in yeardata.units().values()) == yeardata.UNITS == 100
