"""Every kind of mistake an admin can make in routing_rules.yaml, on a broken copy of the real file.

Each case edits the shipped file in one place and checks that the checker names the right line
with a plain reason. The last tests check that several mistakes are all reported at once.
"""
from __future__ import annotations

import pytest

from ivr.core.rules_schema import check_text


def line_of(text: str, fragment: str) -> int:
    """1-based line of the first occurrence of ``fragment`` in ``text``."""
    index = text.index(fragment)
    return text[:index].count("\n") + 1


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"fixture text not found: {old!r}"
    return text.replace(old, new, 1)


def test_the_shipped_file_is_valid(shipped_text):
    problems, model, _ = check_text(shipped_text, "routing_rules.yaml")
    assert problems == []
    assert model is not None and len(model.lines) == 31


CASES = [
    # id, old, new, fragment on the expected line, words the message must contain
    ("typo_in_key", "go_live: 2020-04-28, retire_on: 2020-07-28}\n  - {number: \"0513-80000202\"",
     "go_live: 2020-04-28, retire_date: 2020-07-28}\n  - {number: \"0513-80000202\"",
     "retire_date", ["unknown key 'retire_date'", "did you mean 'retire_on'"]),
    ("typo_in_queue_key", "    strategy: rrmemory\n    ring_timeout: 15\n    wrapup_time: 5\n  seat_environment",
     "    strategy: rrmemory\n    ring_timout: 15\n    wrapup_time: 5\n  seat_environment",
     "ring_timout", ["unknown key 'ring_timout'", "ring_timeout"]),
    ("duplicate_number", '{number: "0513-80000105"', '{number: "0513-80000104"',
     'number: "0513-80000104", department: culture', ["duplicate number", "already used at line"]),
    ("duplicate_number_other_spelling", '{number: "0513-80000105"', '{number: "80000104"',
     'number: "80000104"', ["duplicate number"]),
    ("missing_mode_parameter", "queue: seat_hrss, overflow_queue: q12345, overflow_after: 30}",
     "overflow_queue: q12345, overflow_after: 30}", 'number: "0513-80000302"', ["a dedicated line needs 'queue'"]),
    ("missing_sunset_date", "go_live: 2020-04-28, retire_on: 2020-07-28}\n  - {number: \"0513-80000202\"",
     "go_live: 2020-04-28}\n  - {number: \"0513-80000202\"", 'number: "0513-80000201"',
     ["a sunset line needs 'retire_on'"]),
    ("foreign_mode_parameter", '{number: "0513-80000103", department: natural_resources, mode: forward,',
     '{number: "0513-80000103", department: natural_resources, mode: forward, schedule: office_hours,',
     'number: "0513-80000103"', ["'schedule' does not apply to a forward line"]),
    ("unknown_queue", "queue: seat_water,", "queue: seat_waterworks,", "seat_waterworks",
     ["unknown queue 'seat_waterworks'"]),
    ("unknown_overflow_queue", "queue: seat_approval, overflow_queue: q12345", "queue: seat_approval, overflow_queue: q1234",
     "overflow_queue: q1234,", ["unknown queue 'q1234'"]),
    ("unknown_agent_queue", "agent8: {name: County Water Company seat, queues: [seat_water]}",
     "agent8: {name: County Water Company seat, queues: [seat_watr]}", "seat_watr", ["unknown queue 'seat_watr'"]),
    ("unknown_department", "department: archives,", "department: archive,", "department: archive,",
     ["unknown department 'archive'", "did you mean 'archives'"]),
    ("unknown_schedule", "schedule: library_hours,", "schedule: libary_hours,", "libary_hours",
     ["unknown schedule 'libary_hours'"]),
    ("retirement_before_go_live", 'name: 救助站求助电话,\n     go_live: 2020-04-28, retire_on: 2020-07-28}',
     'name: 救助站求助电话,\n     go_live: 2020-04-28, retire_on: 2020-03-28}', "retire_on: 2020-03-28",
     ["retirement date 2020-03-28 is not after the go-live date 2020-04-28"]),
    ("bad_date", 'name: 农业服务热线,\n     go_live: 2020-04-28', 'name: 农业服务热线,\n     go_live: 2020-04-31',
     "go_live: 2020-04-31", ["'2020-04-31' is not a date"]),
    ("bad_time_range", 'hours: ["09:00-17:00"]', 'hours: ["19:00-17:00"]', "19:00-17:00", ["bad time", "ends before it starts"]),
    ("bad_time_text", 'hours: ["08:00-18:00"]', 'hours: ["8am-6pm"]', "8am-6pm", ["bad time", "08:30-12:00"]),
    ("bad_weekday", "weekdays: [tue, wed, thu, fri, sat, sun]", "weekdays: [tue, wed, thu, fri, sat, sunday]",
     "sunday", ["'sunday' is not one of"]),
    ("bad_mode", "department: tax, mode: parallel", "department: tax, mode: paralel", "mode: paralel",
     ["'paralel' is not one of"]),
    ("bad_integer", "overflow_after: 20}", "overflow_after: twenty}", "overflow_after: twenty", ["'twenty' is not a whole number"]),
    ("bad_callback_offer", "    callback_offer_after: 300\n    handle_time: 300\n    strategy",
     "    callback_offer_after: -5\n    handle_time: 300\n    strategy", "callback_offer_after: -5",
     ["greater than or equal to 0"]),
    ("handle_time_too_short", "    callback_offer_after: 300\n    handle_time: 300\n    strategy",
     "    callback_offer_after: 300\n    handle_time: 1\n    strategy", "handle_time: 1", ["greater than or equal to 10"]),
    ("out_of_range_seconds", "overflow_after: 20}", "overflow_after: 6000}", "overflow_after: 6000",
     ["between 1 and 600 seconds"]),
    ("bad_number", '{number: "0513-80000414"', '{number: "0513-8OOOO414"', "8OOOO414", ["not a telephone number"]),
    ("destination_loops_back", 'destination: "0513-80002410"', 'destination: "0513-80000301"', 'destination: "0513-80000301"',
     ["would loop"]),
    ("bad_timezone", "timezone: Asia/Shanghai", "timezone: Asia/Rudong", "Asia/Rudong", ["unknown time zone"]),
    ("unknown_general_queue", "general_queue: q12345", "general_queue: main", "general_queue: main", ["unknown queue 'main'"]),
    ("duplicate_yaml_key", "  agent2: {name: 12345 agent 2", "  agent1: {name: 12345 agent 2", "agent1: {name: 12345 agent 2",
     ["key 'agent1' is written twice"]),
    ("bad_id", "  tax:               {name_zh: 税务局", "  Tax-Bureau:        {name_zh: 税务局", "Tax-Bureau",
     ["must be lower-case"]),
    ("bad_sound_name", "rating_thanks: [hotline/rating_thanks]", "rating_thanks: [../../etc/passwd]", "rating_thanks",
     ["is not a sound name"]),
    ("missing_prompt", "  closed_notice: [hotline/closed_notice]              # parallel line outside the department's hours\n", "",
     "prompts:\n  greeting", ["missing prompt 'closed_notice'"]),
    ("second_main_line", '{number: "0513-80000101", department: women_federation, mode: forward',
     '{number: "0513-80000101", department: women_federation, mode: main', "lines:\n  - {number: \"12345\"", ["exactly one line must have mode 'main'"]),
    ("holiday_range_backwards", "{name: Qingming 2026, from: 2026-04-04, to: 2026-04-06}",
     "{name: Qingming 2026, from: 2026-04-04, to: 2026-03-06}", "Qingming 2026", ["is before 'from'"]),
    ("newline_in_name", "  gas:               {name_zh: 燃气公司, name_en: Gas Company, assumed: true}",
     "  gas:\n    name_zh: 燃气公司\n    name_en: \"Gas\\nCompany\"\n    assumed: true", "name_en: \"Gas", ["on one line"]),
    ("missing_section", "version: 1\n", "", "centre:", ["missing required key 'version'"]),
    ("wrong_version", "version: 1\n", "version: 2\n", "version: 2", ["version 1"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_is_named_with_its_line(shipped_text, case):
    _, old, new, fragment, words = case
    text = edit(shipped_text, old, new)
    problems, model, _ = check_text(text, "copy.yaml")
    assert model is None
    matching = [p for p in problems if all(w in p.message for w in words)]
    assert matching, f"no problem says {words}; got: {[str(p) for p in problems]}"
    assert matching[0].line == line_of(text, fragment), [str(p) for p in problems]
    assert str(matching[0]).startswith(f"copy.yaml:{matching[0].line}:")


def test_yaml_syntax_error_names_its_line(shipped_text):
    text = edit(shipped_text, "  q12345:\n    name_zh: 12345综合坐席", "  q12345:\n    name_zh: [12345综合坐席")
    problems, model, _ = check_text(text, "copy.yaml")
    assert model is None and len(problems) == 1
    assert "YAML syntax error" in problems[0].message
    assert abs(problems[0].line - line_of(text, "[12345综合坐席")) <= 2


def test_every_problem_is_reported_at_once(shipped_text):
    text = edit(shipped_text, '{number: "0513-80000105"', '{number: "0513-80000104"')
    text = edit(text, "schedule: library_hours, dial_timeout", "schedual: library_hours, dial_timeout")
    text = edit(text, 'hours: ["08:00-18:00"]', 'hours: ["18:00-08:00"]')
    text = edit(text, "queue: seat_water,", "queue: seat_waterworks,")
    problems, _, _ = check_text(text, "copy.yaml")
    messages = "\n".join(str(p) for p in problems)
    assert "duplicate number" in messages
    assert "unknown key 'schedual'" in messages and "a parallel line needs 'schedule'" in messages
    assert "ends before it starts" in messages
    assert "unknown queue 'seat_waterworks'" in messages
    assert [p.line for p in problems] == sorted(p.line for p in problems)


@pytest.mark.parametrize("text,words", [
    ("", "missing required key"),
    ("just a string\n", "must be a mapping"),
    ("- a\n- b\n", "must be a mapping"),
    ("version: 1\nlines: 5\n", "expected a list"),
    ("\x00\x01", "YAML syntax error"),
    ("a: &x [*x]\n", ""),
    ("a: !!python/object/apply:os.system ['echo pwned']\n", ""),
])
def test_hostile_or_empty_files_give_problems_not_tracebacks(text, words):
    problems, model, _ = check_text(text, "hostile.yaml")
    assert model is None and problems
    assert any(words in p.message for p in problems)


def test_billion_laughs_is_bounded():
    lol = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(8))
    problems, model, _ = check_text(lol, "lol.yaml")
    assert model is None and problems


def test_a_renamed_key_is_still_read_with_a_notice(shipped_text):
    """A line's ring time was called ring_timeout (like a queue's per-agent ring time); it is
    dial_timeout now. An admin's file with the old name keeps working and is told."""
    old = shipped_text.replace("schedule: library_hours, dial_timeout: 20", "schedule: library_hours, ring_timeout: 25")
    problems, model, source = check_text(old, "r.yaml")
    assert problems == [] and model is not None
    [notice] = source.notices
    assert notice.where.endswith(".ring_timeout") and "is now called 'dial_timeout'" in notice.message
    assert str(notice).startswith(f"r.yaml:{old.splitlines().index(next(l for l in old.splitlines() if 'ring_timeout: 25' in l)) + 1}:")
    from ivr.core.rules_schema import build_rules
    assert {line.dial_timeout for line in build_rules(model).lines.values() if line.schedule == "library_hours"} == {25}
    both = old.replace("ring_timeout: 25", "ring_timeout: 25, dial_timeout: 30")
    problems, _, _ = check_text(both, "r.yaml")
    assert [p.message for p in problems] == ["'ring_timeout' is the old name of 'dial_timeout', which is given too: "
                                             "keep only 'dial_timeout'"]
