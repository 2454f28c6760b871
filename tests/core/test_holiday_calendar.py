"""The holiday calendar that never runs out: the rules' confirmed years, the law's for the others.

Years past the shipped lists (2027 on) are checked against the ``holidays`` library itself, for
many years rather than one date; the confirmed list winning, the 60-day warning and the figure on
/metrics are tables of days.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from holidays.countries.china import China

from ivr.core.decision import Action
from ivr.core.deadlines import Policy
from ivr.core.holiday_calendar import (Calendar, days_left, library_differences, missing_statutory,
                                       runs, warning)
from ivr.core.routing import Call, decide
from ivr.core.statutory import statutory_year
from ivr.rules_file import rules_from_text
from support import CST, RULES_FILE, at

PARALLEL = "0513-80000401"       # Justice Bureau, office_hours (Monday to Friday)
SERVICE_HALL = "0513-80000405"   # open Monday to Saturday
YEARS = range(2027, 2041)


def with_calendar(holidays: str = "", workdays: str = "", text: str | None = None):
    """The shipped rules with entries added to ``holidays`` and ``workdays``."""
    text = text or RULES_FILE.read_text(encoding="utf-8")
    if holidays:
        text = text.replace("\nworkdays:\n", f"\n{holidays}\nworkdays:\n", 1)
    if workdays:
        text = text.replace("\ndepartments:\n", f"\n{workdays}\ndepartments:\n", 1)
    return rules_from_text(text, "routing_rules.yaml")


def library_rest_days(year: int) -> dict[date, list[str]]:
    lib = China(years=year, language="en_US")
    return {d: lib.get_list(d) for d in lib if d.year == year}


# --- years the rules do not confirm: the law's calendar, marked provisional ------------------------

@pytest.mark.parametrize("year", YEARS)
def test_every_rest_day_the_library_gives_closes_the_departments_provisionally(shipped_rules, year):
    calendar = shipped_rules.calendar
    assert year not in calendar.confirmed_years
    rest = library_rest_days(year)
    assert len(rest) >= 11  # the seven festivals, at least 11 statutory days
    for day in rest:
        status = calendar.status(day)
        assert status.holiday is not None and not status.working and status.provisional, (day, status)
        decision = decide(Call(PARALLEL), shipped_rules, at(f"{day} 10:00"))
        assert decision.action is Action.QUEUE and decision.queue == "q12345", (day, decision)
        assert "public holiday" in decision.reason and "provisional" in decision.reason


@pytest.mark.parametrize("year", YEARS)
def test_the_fixed_statutory_days_are_closed_in_every_year(shipped_rules, year):
    for month, day in ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3)):
        assert shipped_rules.calendar.holiday(date(year, month, day)) is not None


@pytest.mark.parametrize("day,name", [
    ("2027-01-01", "New Year's Day 2027"), ("2027-01-03", "New Year's Day 2027"),
    ("2027-02-05", "Spring Festival 2027"), ("2027-02-10", "Spring Festival 2027"),
    ("2027-04-03", "Qingming 2027"), ("2027-04-05", "Qingming 2027"),
    ("2027-05-04", "Labour Day 2027"), ("2027-06-09", "Dragon Boat Festival 2027"),
    ("2027-09-15", "Mid-Autumn 2027"), ("2027-10-05", "National Day 2027"),
    ("2027-02-04", None), ("2027-02-11", None), ("2027-10-06", None), ("2027-06-10", None),
])
def test_2027_runs_of_closed_days_are_named_after_their_festival(shipped_rules, day, name):
    assert shipped_rules.calendar.holiday(date.fromisoformat(day)) == name


def test_weekend_days_joined_to_a_holiday_close_a_saturday_service_hall(shipped_rules):
    # Qingming 2027 is Monday 5 April; Saturday 3 April is part of the run, as a notice writes it
    decision = decide(Call(SERVICE_HALL), shipped_rules, at("2027-04-03 10:00"))
    assert decision.action is Action.QUEUE and "Qingming 2027" in decision.reason
    # an ordinary Saturday of 2027 rings the service hall
    assert decide(Call(SERVICE_HALL), shipped_rules, at("2027-04-10 10:00")).action is Action.DIAL


def test_an_ordinary_day_of_a_provisional_year_rings_the_department_and_says_provisional(shipped_rules):
    decision = decide(Call(PARALLEL), shipped_rules, at("2027-01-04 10:00"))
    assert decision.action is Action.DIAL and "provisional" in decision.reason
    assert "provisional" not in decide(Call(PARALLEL), shipped_rules, at("2026-06-01 10:00")).reason


def test_the_library_make_up_days_count_where_it_knows_the_notice(shipped_rules):
    """A year the rules leave out but the library carries the notice of (2025): its make-up
    working days open the departments and count for deadlines."""
    law = statutory_year(2025)
    assert law.notice_known
    for day in law.workdays:
        status = shipped_rules.calendar.status(day)
        assert status.workday and status.working and status.provisional
        assert decide(Call(PARALLEL), shipped_rules, at(f"{day} 10:00")).action is Action.DIAL


@pytest.mark.parametrize("dispatched,category,due", [
    ("2027-09-30 16:00", "consultation", "2027-10-07 00:00"),  # 1 working day: Wed 6 Oct
    ("2027-09-30 16:00", "help_request", "2027-10-13 00:00"),  # 5: Oct 6, 7, 8, 11, 12
    ("2027-09-30 16:00", "complaint", "2027-10-20 00:00"),     # 10: Oct 6-8, 11-15, 18-19
    ("2027-02-04 09:00", "consultation", "2027-02-12 00:00"),  # after the Spring Festival run
    ("2026-12-31 09:00", "consultation", "2027-01-05 00:00"),  # across the year into New Year's Day
])
def test_deadlines_skip_the_provisional_holidays(shipped_rules, dispatched, category, due):
    policy = Policy(shipped_rules.calendar, CST)
    assert policy.terms(category, False, at(dispatched)).due == at(due)


@pytest.mark.parametrize("year", YEARS)
def test_a_deadline_never_ends_on_a_statutory_holiday(shipped_rules, year):
    policy = Policy(shipped_rules.calendar, CST)
    for day in library_rest_days(year):
        before = day - timedelta(days=1)
        last = policy.terms("consultation", False, at(f"{before} 12:00")).due.date() - timedelta(days=1)
        assert last not in library_rest_days(year) and shipped_rules.calendar.is_working_day(last)


# --- the confirmed list wins -----------------------------------------------------------------------

COUNTY_ONLY = "  - {name: County Day 2027, from: 2027-03-02}"


def test_a_year_with_one_confirmed_holiday_uses_the_rules_list_only():
    rules = with_calendar(COUNTY_ONLY)
    calendar = rules.calendar
    assert 2027 in calendar.confirmed_years and not calendar.provisional(date(2027, 1, 1))
    assert calendar.holiday(date(2027, 3, 2)) == "County Day 2027"
    # the library's New Year's Day and National Day are not holidays when the rules say otherwise
    assert calendar.holiday(date(2027, 1, 1)) is None and calendar.is_working_day(date(2027, 10, 1))
    assert decide(Call(PARALLEL), rules, at("2027-01-01 10:00")).action is Action.DIAL
    decision = decide(Call(PARALLEL), rules, at("2027-03-02 10:00"))
    assert decision.action is Action.QUEUE and "County Day 2027" in decision.reason
    assert "provisional" not in decision.reason
    policy = Policy(calendar, CST)
    assert policy.terms("consultation", False, at("2027-09-30 16:00")).due == at("2027-10-02 00:00")
    assert policy.terms("consultation", False, at("2027-03-01 16:00")).due == at("2027-03-04 00:00")
    # 2028 is not confirmed: still the law's
    assert calendar.provisional(date(2028, 1, 1)) and calendar.holiday(date(2028, 1, 1))


def test_a_confirmed_make_up_day_on_a_library_holiday_and_a_shifted_festival():
    rules = with_calendar("  - {name: National Day 2027, from: 2027-10-02, to: 2027-10-08}",
                          "  - {name: make-up, from: 2027-10-09}")
    calendar = rules.calendar
    assert calendar.is_working_day(date(2027, 10, 1))      # the library's holiday, not in the list
    assert not calendar.is_working_day(date(2027, 10, 8))  # in the list, not the library's
    assert calendar.is_working_day(date(2027, 10, 9)) and calendar.is_workday(date(2027, 10, 9))
    assert missing_statutory(calendar, 2027)[date(2027, 10, 1)] == "National Day"


def test_a_rules_workday_counts_in_a_provisional_year_too():
    rules = with_calendar(workdays="  - {name: County make-up, from: 2027-02-06}")  # a Saturday
    calendar = rules.calendar
    assert calendar.provisional(date(2027, 2, 6))
    assert calendar.is_working_day(date(2027, 2, 6)) and calendar.holiday(date(2027, 2, 6)) is None


def test_a_calendar_without_the_statutory_fallback_has_no_holidays_of_its_own():
    assert Calendar(statutory=None).holiday(date(2027, 1, 1)) is None
    assert Calendar().holiday(date(2027, 1, 1)) == "New Year's Day 2027"


# --- the shipped lists against the library -------------------------------------------------------

@pytest.mark.parametrize("year", [2020, 2026])
def test_the_shipped_years_agree_with_the_library(shipped_rules, year):
    assert library_differences(shipped_rules.calendar, year) == []
    assert missing_statutory(shipped_rules.calendar, year) == {}


def test_a_difference_from_the_library_is_named():
    rules = with_calendar("  - {name: County Day 2026, from: 2026-03-03}")
    assert library_differences(rules.calendar, 2026) == [("holiday only in the rules", date(2026, 3, 3),
                                                          "County Day 2026")]


# --- the warning and the days left ---------------------------------------------------------------

@pytest.mark.parametrize("today,year,left", [
    ("2026-06-01", None, 214),
    ("2026-11-01", None, 61),     # day 61: no warning
    ("2026-11-02", 2027, 60),     # day 60: the warning
    ("2026-12-04", 2027, 28),
    ("2026-12-31", 2027, 1),
    ("2027-01-01", 2027, 0),      # the year is here: provisional now
    ("2027-07-01", 2027, 0),
    ("2025-12-31", 2025, 0),      # a past year the rules skipped
])
def test_the_warning_starts_60_days_before_a_year_without_a_confirmed_list(shipped_rules, today, year, left):
    day = date.fromisoformat(today)
    assert days_left(shipped_rules.calendar, day) == left
    due = warning(shipped_rules.calendar, day)
    assert (due.year if due else None) == year
    if due:
        assert due.days_left == left and str(year) in due.text() and "provisional" in due.text()


@pytest.mark.parametrize("year", YEARS)
def test_the_warning_boundary_in_any_year(year):
    rules = with_calendar(f"  - {{name: New Year's Day {year - 1}, from: {year - 1}-01-01}}")
    first = date(year, 1, 1)
    assert warning(rules.calendar, first - timedelta(days=61)) is None
    due = warning(rules.calendar, first - timedelta(days=60))
    assert due is not None and (due.year, due.days_left) == (year, 60)


def test_no_warning_once_next_year_is_confirmed():
    rules = with_calendar("  - {name: New Year's Day 2027, from: 2027-01-01, to: 2027-01-03}")
    assert warning(rules.calendar, date(2026, 12, 4)) is None
    assert days_left(rules.calendar, date(2026, 12, 4)) == 393
    assert warning(rules.calendar, date(2027, 11, 2)).year == 2028


def test_runs_say_which_days_are_provisional(shipped_rules):
    found = runs(shipped_rules.calendar, date(2026, 12, 1), date(2027, 1, 31))
    assert [(r.first, r.last, r.kind, r.provisional) for r in found] == [
        (date(2027, 1, 1), date(2027, 1, 3), "holiday", True)]
    found = runs(shipped_rules.calendar, date(2026, 9, 20), date(2026, 9, 30))
    assert [(r.first, r.kind, r.provisional) for r in found] == [
        (date(2026, 9, 20), "workday", False), (date(2026, 9, 25), "holiday", False)]
