"""Staff roles, names, passwords and the login throttle's arithmetic."""
from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.core import staff
from support import at

T0 = at("2020-06-01 10:00")


def test_roles_parse_and_unknown_roles_are_listed():
    assert staff.parse_role(" Agent ") is staff.Role.AGENT
    with pytest.raises(ValueError, match="roles are: agent, supervisor, auditor, admin"):
        staff.parse_role("boss")


@pytest.mark.parametrize("name, ok", [("agent1", True), ("li.wei-2", True), ("", False),
                                      ("-x", False), ("张三", False), ("a" * 65, False)])
def test_login_names(name, ok):
    assert (staff.name_problem(name) is None) is ok


def test_passwords_have_bounds():
    assert "at least 10" in staff.password_problem("short")
    assert staff.password_problem("long enough pass") is None
    assert "at most" in staff.password_problem("x" * 2000)


def test_five_failures_are_free_then_the_wait_doubles_up_to_fifteen_minutes():
    assert [staff.wait_after(n).total_seconds() for n in range(4, 9)] == [0, 30, 60, 120, 240]
    assert staff.wait_after(40) == timedelta(minutes=15)


def test_blocked_for_counts_down_and_failures_are_forgiven_after_an_hour():
    assert staff.blocked_for(4, T0, T0) == 0
    assert staff.blocked_for(5, T0, T0 + timedelta(seconds=10)) == 20
    assert staff.blocked_for(5, T0, T0 + timedelta(seconds=30)) == 0
    assert staff.blocked_for(20, T0, T0 + timedelta(minutes=10)) == 300
    assert staff.blocked_for(20, T0, T0 + timedelta(hours=1)) == 0
    assert staff.failures_now(20, T0, T0 + timedelta(hours=1)) == 0
