"""The health verdict: each figure judged where it turns degraded or down, the worst one wins."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from ivr.core.health import (AsteriskFigures, DatabaseFigures, DiskFigures, Figures, IntakeFigures, Level, Limits,
                             PartFigures, duration, evaluate, size)

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)
SHA = "a" * 64
GIB = 1024 ** 3


def healthy(**changes) -> Figures:
    figures = Figures(
        asterisk=AsteriskFigures(running=True, answering=True, version="Asterisk 22.10.1", uptime_s=11_520,
                                 rules_sha256=SHA),
        parts=(PartFigures("routing", 10, SHA), PartFigures("work_orders", 10, SHA), PartFigures("console", 10, SHA)),
        rules_sha256=SHA,
        intake=IntakeFigures(pending=0, oldest_pending_at=None, spool_bytes=0, set_aside=0),
        database=DatabaseFigures(True, "0010", "0010"),
        disk=DiskFigures("/srv/rec", 80 * GIB, 250 * GIB),
        calendar_days_left=None,
        tls_expires_at=NOW + timedelta(days=400))
    return replace(figures, **changes)


def levels(figures: Figures, limits: Limits = Limits()) -> dict[str, Level]:
    return {c.name: c.level for c in evaluate(figures, NOW, limits).checks if c.level is not Level.OK}


def test_all_well_is_ok_and_says_so():
    verdict = evaluate(healthy(), NOW)
    assert verdict.level is Level.OK and levels(healthy()) == {}
    summary = {c.name: c.summary for c in verdict.checks}
    assert summary["asterisk"] == "Asterisk 22.10.1, up 3 h 12 min, follows the rules in force"
    assert summary["calendar"] == "days of confirmed holiday calendar left: unknown"
    assert verdict.to_dict()["status"] == "ok" and verdict.to_dict()["exit"] == 0


@pytest.mark.parametrize("changes, check, level", [
    ({"asterisk": AsteriskFigures(running=False)}, "asterisk", Level.DOWN),
    ({"asterisk": AsteriskFigures(running=True, detail="no answer")}, "asterisk", Level.DOWN),
    ({"asterisk": AsteriskFigures(running=True, answering=True, rules_sha256="b" * 64)}, "asterisk", Level.DEGRADED),
    ({"asterisk": AsteriskFigures(running=True, answering=True, rules_sha256=SHA, problems=("queue q9 missing",))},
     "asterisk", Level.DEGRADED),
    ({"parts": (PartFigures("work_orders", 1, SHA), PartFigures("console", 1, SHA))}, "part:routing", Level.DOWN),
    ({"parts": (PartFigures("routing", 1, SHA), PartFigures("console", 1, SHA))}, "part:work_orders", Level.DOWN),
    ({"parts": (PartFigures("routing", 1, SHA), PartFigures("work_orders", 1, SHA))}, "part:console", Level.DEGRADED),
    ({"parts": (PartFigures("routing", 1, SHA), PartFigures("routing", 2, "b" * 64), PartFigures("work_orders", 1, SHA),
                PartFigures("console", 1, SHA))}, "part:routing", Level.DEGRADED),
    ({"parts": (PartFigures("routing", 1, SHA, "line 3: bad"), PartFigures("work_orders", 1, SHA),
                PartFigures("console", 1, SHA))}, "part:routing", Level.DEGRADED),
    ({"intake": IntakeFigures(3, NOW - timedelta(seconds=61), 900, 0)}, "intake", Level.DEGRADED),
    ({"intake": IntakeFigures(1, NOW, 300, 1)}, "intake", Level.DEGRADED),
    ({"database": DatabaseFigures(False, head="0010", error="refused")}, "database", Level.DEGRADED),
    ({"database": DatabaseFigures(True, "0009", "0010")}, "database", Level.DEGRADED),
    ({"database": DatabaseFigures(True, "0099", "0010", newer=True)}, "database", Level.DOWN),
    ({"disk": DiskFigures("/srv/rec", 4 * GIB, 250 * GIB)}, "disk", Level.DEGRADED),
    ({"disk": DiskFigures("/srv/rec", 100 * 1024 ** 2, 250 * GIB)}, "disk", Level.DOWN),
    ({"disk": DiskFigures("/srv/rec", None, error="Permission denied")}, "disk", Level.DEGRADED),
    ({"calendar_days_left": 60}, "calendar", Level.DEGRADED),
    ({"calendar_days_left": 0}, "calendar", Level.DEGRADED),
    ({"tls_expires_at": NOW + timedelta(days=29)}, "tls", Level.DEGRADED),
    ({"tls_expires_at": NOW - timedelta(days=1)}, "tls", Level.DEGRADED),
    ({"tls_expires_at": None, "tls_error": "not a certificate"}, "tls", Level.DEGRADED),
])
def test_each_figure_turns_where_it_should(changes, check, level):
    figures = healthy(**changes)
    assert levels(figures) == {check: level}
    assert evaluate(figures, NOW).level is level


@pytest.mark.parametrize("changes", [
    {"intake": IntakeFigures(3, NOW - timedelta(seconds=59), 900, 0)},
    {"disk": DiskFigures("/srv/rec", 6 * GIB, 250 * GIB)},
    {"calendar_days_left": 61},
    {"tls_expires_at": NOW + timedelta(days=31)},
    {"tls_expires_at": None},
])
def test_just_inside_the_limits_is_still_ok(changes):
    assert levels(healthy(**changes)) == {}


def test_the_worst_check_decides_and_only_expected_parts_count():
    figures = healthy(parts=(PartFigures("work_orders", 1, SHA),), calendar_days_left=10)
    assert evaluate(figures, NOW).level is Level.DOWN
    alone = Limits(expected_parts=("work_orders",))
    assert levels(figures, alone) == {"calendar": Level.DEGRADED}


def test_a_rules_file_that_cannot_be_read_leaves_every_part_degraded():
    figures = healthy(rules_sha256=None, rules_error="routing_rules.yaml: cannot read")
    assert levels(figures) == {"part:routing": Level.DEGRADED, "part:work_orders": Level.DEGRADED,
                               "part:console": Level.DEGRADED}


def test_words_people_read():
    assert [duration(s) for s in (None, 42, 300, 11_520, 190_000)] == ["unknown", "42 s", "5 min", "3 h 12 min", "2 d 4 h"]
    assert [size(n) for n in (512, 512 * 1024 ** 2, int(4.2 * GIB))] == ["512 B", "512 MiB", "4.2 GiB"]
