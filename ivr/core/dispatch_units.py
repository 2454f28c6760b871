"""Which units a work order may be dispatched to: one rule, asked by the console and the command line.

A unit (承办单位) is a department of the rules that answers for the matter. The centre itself is
not one: it takes the calls and hands them on, so an order "dispatched" to the centre would wait
for a reply nobody is asked to write. The centre is the department of the main line (12345).
"""
from __future__ import annotations

from ivr.core.rules import Rules


def centre_department(rules: Rules) -> str | None:
    """The id of the centre's own department (the main line's), or None when the rules lack it."""
    line = rules.line(rules.centre.main_line)
    return line.department if line is not None else None


def dispatch_units(rules: Rules) -> dict[str, str]:
    """The units an order may be dispatched to, id -> Chinese name, in the rules' order."""
    centre = centre_department(rules)
    return {d.id: d.name_zh for d in rules.departments.values() if d.id != centre}


def unit_problem(rules: Rules, unit: str) -> str | None:
    """Why ``unit`` cannot take an order (in the words a staff member reads), or None when it can."""
    if unit in dispatch_units(rules):
        return None
    if unit and unit == centre_department(rules):
        return f"{unit!r} is the centre itself: dispatch to the department that answers for the matter"
    known = ", ".join(list(dispatch_units(rules))[:5])
    return f"unknown unit {unit!r}; units are the department ids of the rules (e.g. {known})"
