"""The routing decision for every line of the shipped inventory, table-driven.

The tables below are written out by hand from the line inventory (the README's table of the four modes), not generated
from routing_rules.yaml, so a wrong edit of the file shows up here.
"""
from __future__ import annotations

import pytest

from ivr.core.decision import Action, Mode
from ivr.core.routing import Call, decide
from support import at

# 2020-06-01 was a Monday; 10:00 is inside every schedule that opens on Mondays.
WEEKDAY_MORNING = at("2020-06-01 10:00")
SUNSET_BEFORE = at("2020-07-27 23:59")   # last minute before retirement (retire_on 2020-07-28)
SUNSET_AFTER = at("2020-07-28 00:00")    # first minute of retirement
NIGHT = at("2020-06-01 21:00")
HOLIDAY = at("2020-10-02 10:00")         # National Day, a Friday
MAKEUP_WORKDAY = at("2020-09-27 10:00")  # a Sunday worked in exchange for National Day
LUNCH = at("2020-06-01 12:30")

FORWARD = [  # number, department
    ("051380000101", "women_federation"),
    ("051380000102", "transport"),
    ("051380000103", "natural_resources"),
    ("051380000104", "urban_management"),
    ("051380000105", "culture_tourism"),
]
SUNSET = [  # number, department, after retirement
    ("051380000201", "street_lighting", "redirect"),
    ("051380000202", "street_lighting", "redirect"),
    ("051380000203", "relief_station", "redirect"),
    ("051380000204", "agriculture", "redirect"),
    ("051380000205", "agriculture", "redirect"),
    ("051380000206", "finance_supervision", "redirect"),
    ("051380000207", "finance_supervision", "redirect"),
]
DEDICATED = [  # number, department, seat queue, overflow after (s)
    ("051380000301", "environment", "seat_environment", 30),
    ("051380000302", "hrss", "seat_hrss", 30),
    ("051380000303", "approval", "seat_approval", 30),
    ("051380000304", "water", "seat_water", 20),
]
PARALLEL = [  # number, department, own line, schedule
    ("051380000401", "justice", "051380002401", "office_hours"),
    ("051380000402", "archives", "051380002402", "office_hours"),
    ("051380000403", "library", "051380002403", "library_hours"),
    ("051380000404", "power_supply", "051380002404", "service_hall"),
    ("051380000405", "postal", "051380002405", "service_hall"),
    ("051380000406", "gas", "051380002406", "service_hall"),
    ("051380000407", "passenger_transport", "051380002407", "service_hall"),
    ("051380000408", "medical_insurance", "051380002408", "office_hours"),
    ("051380000409", "housing_fund", "051380002409", "office_hours"),
    ("051380000410", "tax", "051380002410", "office_hours"),
    ("051380000411", "market_regulation", "051380002411", "office_hours"),
    ("051380000412", "education", "051380002412", "office_hours"),
    ("051380000413", "health", "051380002413", "office_hours"),
    ("051380000414", "housing_construction", "051380002414", "office_hours"),
]


def test_the_tables_cover_every_line_of_the_shipped_file(shipped_rules):
    tabled = {"12345"} | {r[0] for r in FORWARD + SUNSET + DEDICATED + PARALLEL}
    assert tabled == set(shipped_rules.lines)


def test_main_line_goes_straight_to_the_agents(shipped_rules):
    d = decide(Call("12345"), shipped_rules, WEEKDAY_MORNING)
    assert (d.action, d.mode, d.queue, d.department) == (Action.QUEUE, Mode.MAIN, "q12345", "centre")
    assert d.prompts == ("hotline/greeting",)  # a short greeting, no key-press menu


@pytest.mark.parametrize("number,department", FORWARD)
def test_forward_lines_reach_12345_marked_with_their_department(shipped_rules, number, department):
    for when in (WEEKDAY_MORNING, NIGHT, HOLIDAY):
        d = decide(Call(number), shipped_rules, when)
        assert (d.action, d.mode, d.queue) == (Action.QUEUE, Mode.FORWARD, "q12345")
        assert d.department == department
        assert d.department_name == shipped_rules.departments[department].name_zh


@pytest.mark.parametrize("number,department,after", SUNSET)
def test_sunset_lines_before_retirement_give_notice_then_12345(shipped_rules, number, department, after):
    d = decide(Call(number), shipped_rules, SUNSET_BEFORE)
    assert (d.action, d.mode, d.queue, d.department) == (Action.QUEUE, Mode.SUNSET, "q12345", department)
    assert d.prompts == ("hotline/sunset_notice_20200728",)  # the notice says the line's own date


@pytest.mark.parametrize("number,department,after", SUNSET)
def test_sunset_lines_after_retirement_say_retired(shipped_rules, number, department, after):
    d = decide(Call(number), shipped_rules, SUNSET_AFTER)
    assert d.prompts == shipped_rules.prompts["number_retired"]
    assert d.department == department
    if after == "redirect":
        assert (d.action, d.queue) == (Action.QUEUE, "q12345")
    else:
        assert (d.action, d.queue) == (Action.PROMPT_ONLY, None)


def test_retirement_counts_in_the_centres_time_zone(shipped_rules):
    # 2020-07-27 16:30 UTC is already 00:30 on the 28th in the county.
    from datetime import datetime, timezone
    d = decide(Call("051380000201"), shipped_rules, datetime(2020, 7, 27, 16, 30, tzinfo=timezone.utc))
    assert d.prompts == shipped_rules.prompts["number_retired"]


@pytest.mark.parametrize("number,department,queue,overflow_after", DEDICATED)
def test_dedicated_lines_go_to_their_seat_and_overflow_to_12345(shipped_rules, number, department, queue, overflow_after):
    for when in (WEEKDAY_MORNING, NIGHT):
        d = decide(Call(number), shipped_rules, when)
        assert (d.action, d.mode, d.department) == (Action.QUEUE, Mode.DEDICATED, department)
        assert (d.queue, d.overflow_after, d.overflow_queue) == (queue, overflow_after, "q12345")


@pytest.mark.parametrize("number,department,own,schedule", PARALLEL)
def test_parallel_lines_ring_the_department_while_open(shipped_rules, number, department, own, schedule):
    when = at("2020-06-02 10:00")  # a Tuesday: every schedule is open (the library is shut on Mondays)
    d = decide(Call(number), shipped_rules, when)
    assert (d.action, d.mode, d.department) == (Action.DIAL, Mode.PARALLEL, department)
    assert (d.destination, d.dial_timeout, d.fallback_queue) == (own, 20, "q12345")


@pytest.mark.parametrize("number,department,own,schedule", PARALLEL)
def test_parallel_lines_go_to_12345_at_night(shipped_rules, number, department, own, schedule):
    d = decide(Call(number), shipped_rules, NIGHT)
    assert (d.action, d.queue, d.destination) == (Action.QUEUE, "q12345", None)
    assert "outside" in d.reason


@pytest.mark.parametrize("number,department,own,schedule", PARALLEL)
def test_parallel_lines_go_to_12345_on_a_public_holiday(shipped_rules, number, department, own, schedule):
    d = decide(Call(number), shipped_rules, HOLIDAY)
    assert (d.action, d.queue) == (Action.QUEUE, "q12345")
    assert "holiday" in d.reason


@pytest.mark.parametrize("number,expected", [
    ("051380000401", Action.DIAL),    # office hours on a make-up Sunday
    ("051380000403", Action.DIAL),    # the library opens Sundays anyway
])
def test_make_up_working_day_opens_offices(shipped_rules, number, expected):
    assert decide(Call(number), shipped_rules, MAKEUP_WORKDAY).action is expected


@pytest.mark.parametrize("when,number,expected", [
    (LUNCH, "051380000401", Action.QUEUE),          # offices close for lunch
    (LUNCH, "051380000404", Action.DIAL),           # the power company's hall does not
    (at("2020-06-01 10:00"), "051380000403", Action.QUEUE),  # library shut on Mondays
    (at("2020-06-06 10:00"), "051380000401", Action.QUEUE),  # Saturday: justice closed
    (at("2020-06-06 10:00"), "051380000404", Action.DIAL),   # Saturday: service hall open
    (at("2020-06-01 08:29"), "051380000401", Action.QUEUE),
    (at("2020-06-01 08:30"), "051380000401", Action.DIAL),
    (at("2020-06-01 17:30"), "051380000401", Action.QUEUE),  # closing time is exclusive
])
def test_parallel_opening_hour_edges(shipped_rules, when, number, expected):
    assert decide(Call(number), shipped_rules, when).action is expected


@pytest.mark.parametrize("dialled", [
    "+86 513 8000 0102", "008651380000102", "+86 0513 8000 0102", "0513-80000102", "80000102", "051380000102",
])
def test_the_carrier_may_present_the_number_in_any_form(shipped_rules, dialled):
    d = decide(Call(dialled), shipped_rules, WEEKDAY_MORNING)
    assert (d.mode, d.department, d.line) == (Mode.FORWARD, "transport", "051380000102")


@pytest.mark.parametrize("dialled", ["051399999999", "", "s", "110", "12345678901234567890", "1;DROP TABLE"])
def test_unknown_numbers_are_never_dropped(shipped_rules, dialled):
    d = decide(Call(dialled, caller='"evil"\nHANGUP'), shipped_rules, WEEKDAY_MORNING)
    assert (d.action, d.mode, d.queue) == (Action.QUEUE, Mode.UNKNOWN, "q12345")
    assert d.warnings and "not in routing_rules.yaml" in d.warnings[0]


def test_naive_time_is_refused(shipped_rules):
    from datetime import datetime
    with pytest.raises(ValueError, match="aware"):
        decide(Call("12345"), shipped_rules, datetime(2020, 6, 1, 10, 0))


def test_prompt_only_retirement(shipped_text, tmp_path):
    from ivr.rules_file import load_rules
    text = shipped_text.replace("assumed: true, after_retirement: redirect}", "assumed: true, after_retirement: prompt_only}")
    assert text != shipped_text
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules(path)
    d = decide(Call("051380000207"), rules, SUNSET_AFTER)
    assert (d.action, d.queue, d.prompts) == (Action.PROMPT_ONLY, None, rules.prompts["number_retired"])
    before = decide(Call("051380000207"), rules, SUNSET_BEFORE)
    assert (before.action, before.queue) == (Action.QUEUE, "q12345")
