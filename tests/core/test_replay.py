"""The impact preview's replay: every call decided under both rule sets, exactly as decide() would."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest

from ivr.core.replay import LoggedCall, replay, route_of, upcoming
from ivr.core.routing import Call, decide
from ivr.rules_file import rules_from_text
from support import at

FORWARD_401 = ('''  - {number: "0513-80000401", department: justice, mode: parallel, name: 法律服务热线,
     destination: "0513-80002401", schedule: office_hours, dial_timeout: 20, fallback_queue: q12345}''',
               '''  - {number: "0513-80000401", department: justice, mode: forward, name: 法律服务热线}''')


def edited(text: str, *pairs):
    for old, new in pairs:
        assert old in text
        text = text.replace(old, new, 1)
    return rules_from_text(text, "new.yaml")


def call(when: datetime, line: str, caller: str = "13900000001", n: int = 0) -> LoggedCall:
    return LoggedCall(f"ivr12345-{n}", when, line, caller)


def test_a_line_moved_from_parallel_to_forward_names_exactly_its_calls_while_open(shipped_text, shipped_rules):
    new = edited(shipped_text, FORWARD_401)
    calls = [call(at("2020-06-01 10:00"), "0513-80000401", "13900000001", 1),   # open: department -> 12345
             call(at("2020-06-01 20:00"), "80000401", "13900000002", 2),        # closed: 12345 either way
             call(at("2020-06-01 10:05"), "+8651380000401", "13900000003", 3),  # open, another spelling
             call(at("2020-06-01 10:06"), "12345", "13900000004", 4),
             call(at("2020-06-01 10:07"), "0513-80000402", "13900000005", 5)]
    result = replay(calls, shipped_rules, new)
    assert (result.calls, result.elsewhere) == (5, 2)
    assert [c.call.id for c in result.changed] == ["ivr12345-1", "ivr12345-3"]
    assert {(c.old, c.new) for c in result.changed} == {("dial:051380002401>q12345", "queue:q12345")}
    impact = result.lines["051380000401"]
    assert (impact.calls, impact.elsewhere, impact.mode) == (3, 2, "parallel")
    # the call at 20:00 went to 12345 before too, but now hears the greeting, not the closed notice
    assert impact.other_details == 1
    assert result.lines["12345"].elsewhere == 0


def _random_calls(n: int, seed: int = 12345) -> list[LoggedCall]:
    """Calls at random moments of 2020 (minute boundaries, the last microsecond of a day, the
    first of a retirement day) to random lines, in every spelling."""
    rng = random.Random(seed)
    numbers = ["12345", "0513-80000101", "80000201", "+8651380000207", "051380000304", "0513-80000401",
               "80000403", "0513-80000404", "051380000410", "0086513800004 11", "0513-8000 9999", ""]
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    special = [at("2020-07-27 23:59").replace(second=59, microsecond=999_999), at("2020-07-28 00:00"),
               at("2020-06-01 08:29").replace(second=59, microsecond=999_999), at("2020-06-01 08:30"),
               at("2020-06-01 17:30"), at("2020-10-01 09:00"), at("2020-09-27 10:00")]
    calls = []
    for i in range(n):
        when = rng.choice(special) if i % 10 == 0 else start + timedelta(seconds=rng.randrange(366 * 86400),
                                                                        microseconds=rng.randrange(10**6))
        calls.append(call(when, rng.choice(numbers), f"139{rng.randrange(10**8):08d}", i))
    return calls


def test_memoised_replay_decides_exactly_as_decide_for_every_call(shipped_text, shipped_rules):
    new = edited(shipped_text, FORWARD_401,
                 ('hours: ["08:30-12:00", "13:30-17:30"]', 'hours: ["08:31-12:00", "13:30-24:00"]'),
                 ("retire_on: 2020-07-28}\n  - {number: \"0513-80000202\"", "retire_on: 2020-08-28}\n  - {number: \"0513-80000202\""),
                 ("  - {name: National Day and Mid-Autumn 2020, from: 2020-10-01, to: 2020-10-08}\n", ""))
    calls = _random_calls(20_000)
    result = replay(calls, shipped_rules, new, named=len(calls))
    naive_changed = []
    for c in calls:
        before = decide(Call(c.line, c.caller), shipped_rules, c.at)
        after = decide(Call(c.line, c.caller), new, c.at)
        if route_of(before) != route_of(after):
            naive_changed.append((c.id, route_of(before), route_of(after)))
    assert [(c.call.id, c.old, c.new) for c in result.changed] == naive_changed
    assert result.elsewhere == len(naive_changed) > 0
    assert result.decisions["new"] < len(calls) / 2  # calls shared their decisions


def test_upcoming_lists_sunset_dates_and_holidays_and_marks_the_new_ones(shipped_text, shipped_rules):
    new = edited(shipped_text,
                 ("retire_on: 2020-07-28}\n  - {number: \"0513-80000202\"", "retire_on: 2020-08-28}\n  - {number: \"0513-80000202\""),
                 ("  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}",
                  "  - {name: Dragon Boat Festival 2020, from: 2020-06-25, to: 2020-06-27}\n  - {name: County Day, from: 2020-06-10}"))
    events = upcoming(new, shipped_rules, date(2020, 6, 1), 90)
    summary = [(e.first.isoformat(), e.kind, e.subject, e.new) for e in events]
    assert ("2020-06-10", "holiday", "County Day", True) in summary
    assert ("2020-06-25", "holiday", "Dragon Boat Festival 2020", False) in summary
    assert ("2020-08-28", "retired", "051380000201", True) in summary
    assert ("2020-07-28", "retired", "051380000202", False) in summary
    assert not any(s[2] == "051380000201" and s[0] == "2020-07-28" for s in summary)
    assert [e.first for e in events] == sorted(e.first for e in events)
    assert all(date(2020, 6, 1) <= e.first <= date(2020, 8, 29) for e in events)


def test_an_empty_log_is_an_empty_replay(shipped_rules):
    result = replay([], shipped_rules, shipped_rules)
    assert (result.calls, result.elsewhere, result.lines, result.first) == (0, 0, {}, None)
    assert result.to_dict()["changed"] == []


@pytest.mark.parametrize("mode_line,expected", [
    ("12345", "queue:q12345"),
    ("0513-80000304", "queue:seat_water>q12345"),
    ("0513-80000401", "dial:051380002401>q12345"),
])
def test_routes_read_like_the_dialplans_ivr_reached(shipped_rules, mode_line, expected):
    assert route_of(decide(Call(mode_line), shipped_rules, at("2020-06-01 10:00"))) == expected
