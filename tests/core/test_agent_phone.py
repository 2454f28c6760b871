"""Feature codes, pause reasons, in-call keys and the departments' own lines: one table."""
from __future__ import annotations

from ivr.core import agent_phone as ap


def test_pause_reasons_are_the_four_the_console_shows():
    assert [r.value for r in ap.PauseReason] == ["break", "training", "meeting", "after_call_work"]
    assert sorted(ap.PAUSE_KEYS.values()) == ["1", "2", "3", "4"]


def test_feature_codes_are_unique_and_none_is_a_prefix_of_another():
    codes = [c.code for c in ap.FEATURE_CODES]
    assert len(codes) == len(set(codes)) == 7
    assert not any(a != b and b.startswith(a) for a in codes for b in codes)
    pauses = {c.code: c.reason for c in ap.FEATURE_CODES if c.action == "ivr-agent-pause"}
    assert pauses == {"*731": ap.PauseReason.BREAK, "*732": ap.PauseReason.TRAINING,
                      "*733": ap.PauseReason.MEETING, "*734": ap.PauseReason.AFTER_CALL_WORK}
    assert all(c.code.startswith("*") for c in ap.FEATURE_CODES)  # never a county number


def test_in_call_keys_do_not_shadow_each_other():
    keys = {k.feature: k.keys for k in ap.IN_CALL_KEYS}
    assert keys["blindxfer"] == "##" and keys["atxfer"] == "*2" and keys["atxferthreeway"] == "*3"
    assert len(set(keys.values())) == len(keys)


def test_department_lines_are_the_parallel_destinations(shipped_rules):
    lines = ap.department_lines(shipped_rules)
    parallel = [line for line in shipped_rules.lines.values() if line.mode.value == "parallel"]
    assert set(lines) == {line.destination for line in parallel} and len(lines) == 14
    justice = lines["051380002401"]
    assert (justice.department, justice.via) == ("justice", "051380000401")


def test_a_department_line_is_found_in_any_form_and_nothing_else_is(shipped_rules):
    for dialled in ("051380002401", "80002401", "+8651380002401", "008651380002401", "0513-8000 2401"):
        assert ap.department_line(shipped_rules, dialled).number == "051380002401"
    for dialled in ("051380000401", "12345", "0099123456", "", "*71", "0513800024019"):
        assert ap.department_line(shipped_rules, dialled) is None  # a line of the centre is not one
