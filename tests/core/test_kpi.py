"""KPI arithmetic, with a data set built to the report's own figures.

The report: 41,084 calls received, 32,340 answered on the spot = 78.72 %, 8,744 work orders
dispatched, connection rate above 96 %. 32,340 + 8,744 = 41,084, so the on-the-spot rate's
denominator is *received* (work orders taken in), not calls offered. The offered count is not in
the report: 42,600 (41,084 answered + 1,516 abandoned) is chosen to give 96.44 %.
"""
from __future__ import annotations

import pytest

from ivr.core.kpi import CallFact, Figures, OrderFact, build_report, league, percent, ratio

RECEIVED, ON_THE_SPOT, DISPATCHED, ABANDONED = 41_084, 32_340, 8_744, 1_516
LINES = ["12345", "051380000101", "051380000301"]  # main line, a forwarded line, a dedicated seat
DEPARTMENT = {"12345": "centre", "051380000101": "women_federation", "051380000301": "environment"}
UNITS = ["water", "power_supply", "gas", "transport"]


def seed_facts() -> tuple[list[CallFact], list[OrderFact]]:
    """One fact per call and per order, spread over three lines and four units."""
    calls, orders = [], []
    for i in range(RECEIVED + ABANDONED):
        line = LINES[i % 3]
        calls.append(CallFact(line, DEPARTMENT[line], "answered" if i < RECEIVED else "abandoned"))
    for i in range(RECEIVED):
        line = LINES[i % 3]
        spot = i < ON_THE_SPOT
        unit = None if spot else UNITS[i % 4]
        replied = not spot and i % 10 != 0            # nine in ten dispatched orders replied
        on_time = replied and i % 50 != 1             # a few of them late
        rating = (i % 5) + 1 if i % 4 == 0 else None  # a quarter of the callers rate
        orders.append(OrderFact(line, DEPARTMENT[line], unit, spot, not spot, replied,
                                on_time if replied else None, rating))
    return calls, orders


@pytest.fixture(scope="module")
def seed_report():
    return build_report(*seed_facts())


def test_the_reports_figures_come_out(seed_report):
    t = seed_report.total
    assert (t.received, t.on_the_spot, t.dispatched) == (41_084, 32_340, 8_744)
    assert t.on_the_spot + t.dispatched == t.received
    assert percent(t.on_the_spot_rate) == "78.72 %"
    assert t.offered == 42_600 and t.answered == 41_084 and t.abandoned == 1_516
    assert t.connection_rate > 0.96 and percent(t.connection_rate) == "96.44 %"


def test_groups_add_up_to_the_total(seed_report):
    for groups in (seed_report.by_line, seed_report.by_department):
        summed = sum(groups.values(), Figures())
        assert summed == seed_report.total
    assert set(seed_report.by_line) == set(LINES)
    assert set(seed_report.by_department) == set(DEPARTMENT.values())
    assert set(seed_report.by_unit) == set(UNITS)
    assert sum(f.dispatched for f in seed_report.by_unit.values()) == DISPATCHED
    assert all(f.on_the_spot == 0 for f in seed_report.by_unit.values())


def test_grouped_facts_give_the_same_report(seed_report):
    """The store hands over GROUP BY rows with a count: the sums must not change."""
    calls, orders = seed_facts()
    grouped_calls: dict = {}
    for c in calls:
        key = (c.line, c.department, c.outcome)
        grouped_calls[key] = grouped_calls.get(key, 0) + 1
    grouped_orders: dict = {}
    for o in orders:
        key = (o.line, o.department, o.unit, o.closed_on_the_spot, o.dispatched, o.replied, o.replied_on_time,
               o.rating)
        grouped_orders[key] = grouped_orders.get(key, 0) + 1
    report = build_report([CallFact(*k, count=n) for k, n in grouped_calls.items()],
                          [OrderFact(*k, count=n) for k, n in grouped_orders.items()])
    assert report == seed_report
    assert len(grouped_orders) < 200  # it really was grouped


def test_on_time_and_satisfaction():
    orders = [OrderFact("12345", "centre", "water", False, True, True, True, 5),
              OrderFact("12345", "centre", "water", False, True, True, False, 2),
              OrderFact("12345", "centre", "water", False, True, True, True, None, count=2),
              OrderFact("12345", "centre", "gas", False, True, False, None, 4)]
    report = build_report([], orders)
    water = report.by_unit["water"]
    assert (water.replied, water.on_time, water.on_time_rate) == (4, 3, 0.75)
    assert water.average_satisfaction == 3.5
    assert report.by_unit["gas"].on_time_rate is None  # nothing replied yet: no data, not 0 %
    assert league(report) == ["water", "gas"]
    assert report.total.average_satisfaction == pytest.approx(11 / 3)


def test_empty_data_gives_no_rates_not_errors():
    report = build_report([], [])
    d = report.total.as_dict()
    assert d["connection_rate"] is None and d["on_the_spot_rate"] is None
    assert d["on_time_rate"] is None and d["average_satisfaction"] is None
    assert percent(None) == "n/a" and ratio(1, 0) is None


@pytest.mark.parametrize("bad", [
    lambda: build_report([CallFact("12345", "centre", "hung-up")], []),
    lambda: build_report([CallFact("12345", "centre", "answered", count=-1)], []),
    lambda: build_report([], [OrderFact("12345", "centre", None, True, False, False, None, 9)]),
    lambda: build_report([], [OrderFact("12345", "centre", None, True, False, False, None, None, count=True)]),
])
def test_impossible_facts_are_refused(bad):
    with pytest.raises(ValueError):
        bad()


def test_as_dict_is_json_ready(seed_report):
    import json
    data = json.loads(json.dumps(seed_report.as_dict()))
    assert data["total"]["received"] == RECEIVED
    assert round(data["total"]["on_the_spot_rate"] * 100, 2) == 78.72


def test_every_caller_at_a_queue_s_door_is_offered_with_the_outcome_they_reached():
    """The soak: 5,500 callers reached the door; 4,700 hung up while hearing the callback offer.
    Counted at the door they are all offered; the rate is over those who wanted a person."""
    calls = [CallFact("12345", "centre", "answered", 252), CallFact("12345", "centre", "abandoned", 4700, stage="offer"),
             CallFact("12345", "centre", "abandoned", 200, stage="queue"),
             CallFact("12345", "centre", "abandoned", 48, stage="greeting"),
             CallFact("12345", "centre", "left_informed", 100), CallFact("12345", "centre", "callback", 150),
             CallFact("12345", "centre", "called_back", 50)]
    t = build_report(calls, []).total
    assert (t.offered, t.answered, t.called_back, t.callbacks, t.left_informed) == (5500, 252, 50, 200, 100)
    assert (t.abandoned, t.abandoned_before_queue) == (4948, 4748)
    assert (t.connected, t.wanted_an_agent) == (302, 5400)
    assert percent(t.connection_rate) == "5.59 %"
    assert build_report([CallFact("12345", "centre", "left_informed", 3)], []).total.connection_rate is None
    with pytest.raises(ValueError, match="unknown stage"):
        build_report([CallFact("12345", "centre", "abandoned", stage="lobby")], [])


@pytest.mark.parametrize("old,new,forward", [
    ("offered", "abandoned", True), ("abandoned", "answered", True), ("callback", "called_back", True),
    ("answered", "abandoned", False), ("left_informed", "abandoned", False), ("callback", "abandoned", False),
    ("called_back", "callback", False), ("abandoned", "abandoned", False),
])
def test_an_outcome_only_moves_forward(old, new, forward):
    from ivr.core.kpi import moves_forward
    assert moves_forward(old, new) is forward
