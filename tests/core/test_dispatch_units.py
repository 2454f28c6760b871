"""The units an order may go to: every department but the centre, the same for console and CLI."""
from __future__ import annotations

from ivr.core.dispatch_units import centre_department, dispatch_units, unit_problem
from ivr.rules_file import load_rules

from support import RULES_FILE

RULES = load_rules(RULES_FILE)


def test_the_centre_is_the_main_lines_department_and_takes_no_order():
    assert centre_department(RULES) == "centre"
    units = dispatch_units(RULES)
    assert "centre" not in units
    assert set(units) == set(RULES.departments) - {"centre"}
    assert units["transport"] == RULES.departments["transport"].name_zh


def test_a_problem_names_the_unit_and_says_why():
    assert unit_problem(RULES, "transport") is None
    assert "centre itself" in unit_problem(RULES, "centre")
    assert "unknown unit 'mars'" in unit_problem(RULES, "mars")
    assert "unknown unit ''" in unit_problem(RULES, "")
