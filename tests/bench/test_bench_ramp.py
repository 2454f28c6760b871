"""The ramp: turn order, when a way stops climbing, its highest sustained rate."""
from __future__ import annotations

import pytest

from ivr.bench.ramp import Ramp, plan_rates, rotated
from ivr.bench.stats import Latency, StepResult


def result(way: str, rate: int, failed: int = 0) -> StepResult:
    n = rate * 4
    return StepResult(way=way, rate=rate, placed=n, answered=n - failed, failed=failed, misrouted=0,
                      expected=n, latency=Latency.of([1.0]), seconds=4.0)


def test_plan_rates_merges_sorts_and_dedupes():
    assert plan_rates([50, 200, 400], [100, 200, 800]) == [50, 100, 200, 400, 800]
    with pytest.raises(ValueError):
        plan_rates([0], [])
    with pytest.raises(ValueError):
        plan_rates([], [])


@pytest.mark.parametrize("step, expected", [
    (0, ["a", "b", "c"]), (1, ["b", "c", "a"]), (2, ["c", "a", "b"]), (3, ["a", "b", "c"]),
])
def test_the_first_way_rotates_from_step_to_step(step, expected):
    assert rotated(["a", "b", "c"], step) == expected


def test_schedule_lists_every_rate_with_its_turn_order():
    ramp = Ramp(["static", "engine"], [50, 100, 200])
    assert ramp.schedule() == [(0, 50, ["static", "engine"]), (1, 100, ["engine", "static"]),
                               (2, 200, ["static", "engine"])]


def test_a_way_that_lost_a_call_stops_climbing_and_keeps_its_last_good_rate():
    ramp = Ramp(["static", "classic"], [50, 100, 200])
    ramp.record(result("static", 50))
    ramp.record(result("classic", 50))
    ramp.record(result("static", 100))
    ramp.record(result("classic", 100, failed=3))
    assert not ramp.should_run("classic", 200)
    assert ramp.should_run("static", 200)
    ramp.record(result("static", 200))
    assert ramp.highest_sustained("classic") == 50
    assert ramp.stopped == {"classic": 100}
    assert ramp.highest_sustained("static") == 200
    assert ramp.ceiling_reached("static") and not ramp.ceiling_reached("classic")


def test_no_sustained_rate_when_the_first_step_fails():
    ramp = Ramp(["classic"], [50, 100])
    ramp.record(result("classic", 50, failed=1))
    assert ramp.highest_sustained("classic") is None
    assert ramp.at("classic", 50).failed == 1 and ramp.at("classic", 100) is None
