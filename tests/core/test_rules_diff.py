"""The semantic diff: what a new rules file changes for callers, not which text lines changed."""
from __future__ import annotations

from ivr.core.rules_diff import describe, diff
from ivr.rules_file import rules_from_text


def rules(text: str):
    return rules_from_text(text, "rules.yaml")


def edited(shipped_text: str, *pairs: tuple[str, str]):
    for old, new in pairs:
        assert old in shipped_text, old
        shipped_text = shipped_text.replace(old, new, 1)
    return rules(shipped_text)


def test_comments_order_and_spelling_are_no_change(shipped_text, shipped_rules):
    text = "# reviewed by the centre\n" + shipped_text.replace('"0513-80000101"', '"051380000101"')
    text = text.replace("strategy: rrmemory\n    ring_timeout: 15\n    wrapup_time: 5\n  seat_environment",
                        "ring_timeout: 15\n    strategy: rrmemory\n    wrapup_time: 5\n  seat_environment", 1)
    new = rules(text)
    assert new.sha256 != shipped_rules.sha256
    assert diff(shipped_rules, new) == []


def test_a_mode_change_is_one_change_with_both_sides_whole(shipped_text, shipped_rules):
    new = edited(shipped_text, ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
                                '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}'''))
    [change] = diff(shipped_rules, new)
    assert (change.kind, change.subject, change.field) == ("line_changed", "051380000401", "mode")
    assert change.old.startswith("parallel (") and "destination=051380002401" in change.old
    assert change.new == "forward (department=justice, queue=q12345)"


def test_line_parameters_sunset_dates_and_removed_lines(shipped_text, shipped_rules):
    new = edited(shipped_text,
                 ("queue: seat_water, overflow_queue: q12345, overflow_after: 20}",
                  "queue: seat_water, overflow_queue: q12345, overflow_after: 45}"),
                 ("go_live: 2020-04-28, retire_on: 2020-07-28}\n  - {number: \"0513-80000202\"",
                  "go_live: 2020-04-28, retire_on: 2020-08-28}\n  - {number: \"0513-80000202\""),
                 ('''  - {number: "0513-80000105", department: culture_tourism, mode: forward, name: 文旅服务热线}\n''', ""))
    texts = [describe(c) for c in diff(shipped_rules, new)]
    assert texts == ["line 051380000201: retire_on 2020-07-28 -> 2020-08-28",
                     "line 051380000304: overflow_after 20 -> 45",
                     "line 051380000105 removed (was forward (department=culture_tourism, queue=q12345)): "
                     "its callers go to the 12345 agents as an unknown number"]


def test_holidays_hours_agents_queues_and_prompts(shipped_text, shipped_rules):
    new = edited(shipped_text,
                 ("  - {name: Mid-Autumn 2026, from: 2026-09-25, to: 2026-09-27}\n", ""),
                 ("  - {name: National Day 2026, from: 2026-10-01, to: 2026-10-07}",
                  "  - {name: National Day 2026, from: 2026-10-01, to: 2026-10-08}"),
                 ('hours: ["08:30-12:00", "13:30-17:30"]', 'hours: ["08:30-12:00", "14:00-17:30"]'),
                 ("agent4: {name: 12345 agent 4, queues: [q12345]}", "agent4: {name: 12345 agent 4, queues: [seat_water]}"),
                 ("  agent8: {name: County Water Company seat, queues: [seat_water]}",
                  "  agent8: {name: County Water Company seat, queues: [seat_water]}\n  agent9: {name: new, queues: [q12345]}"),
                 ("    ring_timeout: 15\n    wrapup_time: 5\n  seat_environment", "    ring_timeout: 20\n    wrapup_time: 5\n  seat_environment"),
                 ("rating_thanks: [hotline/rating_thanks]", "rating_thanks: [hotline/rating_thanks, hotline/greeting]"))
    texts = [describe(c) for c in diff(shipped_rules, new)]
    assert texts == [
        "agent agent4 moved: q12345 -> seat_water",
        "new agent agent9 in q12345",
        "queue q12345: ring_timeout 15 -> 20",
        "opening hours office_hours: mon,tue,wed,thu,fri 08:30-12:00 13:30-17:30 -> mon,tue,wed,thu,fri 08:30-12:00 14:00-17:30",
        "public holiday 2026-09-25..2026-09-27 (Mid-Autumn 2026) removed",
        "public holiday 2026-10-08 (National Day 2026) added",
        "prompt rating_thanks: hotline/rating_thanks -> hotline/rating_thanks hotline/greeting",
    ]


def test_every_change_serialises_with_its_words(shipped_text, shipped_rules):
    new = edited(shipped_text, ("general_queue: q12345", "general_queue: seat_hrss"))
    [data] = [c.to_dict() for c in diff(shipped_rules, new) if c.kind == "centre_changed"]
    assert data == {"kind": "centre_changed", "subject": "centre", "field": "general_queue", "old": "q12345",
                    "new": "seat_hrss", "text": "centre general_queue: q12345 -> seat_hrss"}
