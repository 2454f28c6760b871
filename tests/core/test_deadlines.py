"""Deadlines against the shipped 2020 holiday calendar, table-driven.

Each expected deadline is worked out by hand from the State Council's 2020 holiday notice (the
table does not call the code it tests); a wrong edit of routing_rules.yaml shows up here.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from ivr.core.deadlines import (WORKING_DAYS, Category, Policy, add_working_days, end_of_working_days,
                                parse_category)
from ivr.core.schedule import Calendar
from support import CST, at


@pytest.fixture(scope="module")
def policy(shipped_rules) -> Policy:
    return Policy(calendar=shipped_rules.calendar, tz=shipped_rules.centre.timezone)


DUE = [  # dispatched at (centre time), category, urgent, due (first instant after the deadline)
    ("2020-06-01 10:00", "consultation", False, "2020-06-03 00:00"),   # Mon -> end of Tue
    ("2020-06-05 16:00", "consultation", False, "2020-06-09 00:00"),   # Fri -> end of Mon
    ("2020-06-06 09:00", "consultation", False, "2020-06-09 00:00"),   # Sat -> end of Mon
    ("2020-06-01 10:00", "help_request", False, "2020-06-09 00:00"),   # 2,3,4,5,8 June
    ("2020-06-01 10:00", "suggestion", False, "2020-06-09 00:00"),
    ("2020-06-01 10:00", "complaint", False, "2020-06-16 00:00"),      # ten working days: 15 June
    ("2020-06-01 10:00", "report", False, "2020-06-16 00:00"),
    # Dragon Boat: 25-27 June off (Thu-Sat); Sunday 28 June worked in exchange.
    ("2020-06-24 10:00", "consultation", False, "2020-06-29 00:00"),
    ("2020-06-24 10:00", "help_request", False, "2020-07-03 00:00"),   # 28, 29, 30 June, 1, 2 July
    # Labour Day: 1-5 May off; Sunday 26 April and Saturday 9 May worked.
    ("2020-04-25 10:00", "consultation", False, "2020-04-27 00:00"),   # Sat -> make-up Sunday 26th
    ("2020-04-30 10:00", "consultation", False, "2020-05-07 00:00"),   # Thu -> Wed 6 May
    # National Day and Mid-Autumn: 1-8 October off; Saturday 10 October worked.
    ("2020-09-30 10:00", "complaint", False, "2020-10-22 00:00"),      # 9,10,12-16,19,20,21 October
    ("2020-10-03 10:00", "consultation", False, "2020-10-10 00:00"),   # first working day: 9 October
    # Urgent: 24 clock hours whatever the calendar (the hotline never closes).
    ("2020-10-01 10:00", "complaint", True, "2020-10-02 10:00"),
    ("2020-06-05 19:00", "help_request", True, "2020-06-06 19:00"),
]


@pytest.mark.parametrize("dispatched, category, urgent, due", DUE)
def test_due(policy, dispatched, category, urgent, due):
    terms = policy.terms(category, urgent, at(dispatched))
    assert terms.due == at(due)
    assert terms.sign_by == at(dispatched) + timedelta(hours=2)


def test_help_request_over_labour_day_counts_the_makeup_saturday(policy):
    # 6, 7, 8 May (Wed-Fri) + 9 May (Saturday, worked) + 11 May = five working days.
    assert policy.terms("help_request", False, at("2020-04-30 10:00")).due == at("2020-05-12 00:00")


def test_the_day_is_the_centres_local_day(policy):
    # 23:30 UTC on Sunday 31 May is 07:30 on Monday 1 June in Rudong: Monday is day zero.
    from datetime import datetime, timezone
    utc = datetime(2020, 5, 31, 23, 30, tzinfo=timezone.utc)
    assert policy.terms("consultation", False, utc).due == at("2020-06-03 00:00")
    assert policy.terms("consultation", False, utc).due.tzinfo is not None


def test_working_days_per_category_are_the_field_rules():
    assert {c.value: n for c, n in WORKING_DAYS.items()} == {
        "consultation": 1, "help_request": 5, "suggestion": 5, "complaint": 10, "report": 10}


def test_custom_hours():
    p = Policy(Calendar(), CST, urgent_hours=12, sign_hours=1)
    terms = p.terms(Category.COMPLAINT, True, at("2020-06-01 10:00"))
    assert (terms.sign_by, terms.due) == (at("2020-06-01 11:00"), at("2020-06-01 22:00"))


def test_a_calendar_with_no_working_days_is_refused():
    start = date(2030, 1, 1)
    closed = Calendar(holidays={start + timedelta(days=i): "closed" for i in range(1, 400)})
    with pytest.raises(ValueError, match="no working day"):
        add_working_days(start, 1, closed)


def test_naive_time_is_refused():
    from datetime import datetime
    with pytest.raises(ValueError, match="aware"):
        end_of_working_days(datetime(2020, 6, 1, 10), 1, Calendar(), CST)


@pytest.mark.parametrize("days", [0, -1])
def test_at_least_one_working_day(days):
    with pytest.raises(ValueError, match="at least one"):
        add_working_days(date(2020, 6, 1), days, Calendar())


@pytest.mark.parametrize("text, expected", [("complaint", Category.COMPLAINT),
                                            (" Help-Request ", Category.HELP_REQUEST),
                                            ("REPORT", Category.REPORT)])
def test_parse_category(text, expected):
    assert parse_category(text) is expected


@pytest.mark.parametrize("text", ["", "praise", "complaint; drop", "咨询"])
def test_parse_category_refuses_with_the_list(text):
    with pytest.raises(ValueError, match="consultation, help_request, suggestion, complaint, report"):
        parse_category(text)
