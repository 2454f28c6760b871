"""Entering next year's State Council notice is a rules change like any other: the diff says the
year is confirmed and which days change for callers against the provisional calendar, and the
preview's upcoming events mark the provisional days and the ones the new rules confirm."""
from __future__ import annotations

from datetime import date

from ivr.core.replay import upcoming
from ivr.core.rules_diff import describe, diff
from ivr.rules_file import rules_from_text

# a notice for 2027 as the centre might type it (dates made up for the test, like any notice's)
NOTICE_2027 = """  - {name: New Year's Day 2027, from: 2027-01-01, to: 2027-01-03}
  - {name: Spring Festival 2027, from: 2027-02-05, to: 2027-02-12}
  - {name: Qingming 2027, from: 2027-04-03, to: 2027-04-05}
  - {name: Labour Day 2027, from: 2027-05-01, to: 2027-05-05}
  - {name: Dragon Boat Festival 2027, from: 2027-06-09}
  - {name: Mid-Autumn 2027, from: 2027-09-15}
  - {name: National Day 2027, from: 2027-10-01, to: 2027-10-07}"""
MAKE_UP_2027 = """  - {name: Spring Festival 2027 make-up, from: 2027-02-20}
  - {name: National Day 2027 make-up, from: 2027-10-09}"""


def with_notice(shipped_text: str):
    text = shipped_text.replace("\nworkdays:\n", f"\n{NOTICE_2027}\nworkdays:\n", 1)
    text = text.replace("\ndepartments:\n", f"\n{MAKE_UP_2027}\ndepartments:\n", 1)
    return rules_from_text(text, "new.yaml")


def test_the_diff_says_the_year_is_confirmed_and_what_changes_against_the_provisional_days(shipped_text, shipped_rules):
    changes = diff(shipped_rules, with_notice(shipped_text))
    kinds = [(c.kind, c.subject) for c in changes]
    assert kinds[0] == ("calendar_confirmed", "2027")
    assert "2027 holiday calendar confirmed" in describe(changes[0])
    assert "28 holiday day(s), 2 make-up working day(s)" in describe(changes[0])
    # against the provisional calendar: Feb 11-12, May 5, Oct 6-7 close; Feb 20 and Oct 9 open
    assert [c.subject for c in changes if c.kind == "days_closed"] == [
        "2027-02-11..2027-02-12", "2027-05-05", "2027-10-06..2027-10-07"]
    assert [(c.subject, c.new) for c in changes if c.kind == "days_opened"] == [
        ("2027-02-20", "make-up working day"), ("2027-10-09", "make-up working day")]
    assert ("holiday_added", "2027-02-05..2027-02-12") in kinds and ("workday_added", "2027-10-09") in kinds
    assert all(describe(c) for c in changes)
    # and back: the year is provisional again
    back = diff(with_notice(shipped_text), shipped_rules)
    assert (back[0].kind, back[0].subject) == ("calendar_unconfirmed", "2027")
    assert [c.subject for c in back if c.kind == "days_opened"][0] == "2027-02-11..2027-02-12"


def test_upcoming_marks_provisional_days_and_the_confirmed_ones_as_new(shipped_text, shipped_rules):
    events = upcoming(shipped_rules, shipped_rules, date(2026, 12, 4), 90)
    summary = [(e.first.isoformat(), e.last.isoformat(), e.kind, e.provisional, e.new) for e in events]
    assert summary == [("2027-01-01", "2027-01-03", "holiday", True, False),
                       ("2027-02-05", "2027-02-10", "holiday", True, False)]
    assert all("provisional" in e.text for e in events)
    confirmed = upcoming(with_notice(shipped_text), shipped_rules, date(2026, 12, 4), 90)
    summary = [(e.first.isoformat(), e.last.isoformat(), e.kind, e.provisional, e.new) for e in confirmed]
    assert summary == [("2027-01-01", "2027-01-03", "holiday", False, True),
                       ("2027-02-05", "2027-02-12", "holiday", False, True),
                       ("2027-02-20", "2027-02-20", "workday", False, True)]
    assert not any("provisional" in e.text for e in confirmed)
